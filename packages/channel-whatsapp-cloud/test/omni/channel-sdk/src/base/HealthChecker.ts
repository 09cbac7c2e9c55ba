import type { Logger } from '../types/context.js';
import type { HealthCheck, HealthStatus } from '../types/plugin.js';

// Runs a health probe now and then on an interval, remembering the last result.
export class HealthChecker {
  private intervalId: ReturnType<typeof setInterval> | null = null;
  private lastStatus: HealthStatus | null = null;
  private logger: Logger;
  private getHealth: () => Promise<HealthStatus>;

  constructor(options: { logger: Logger; getHealth: () => Promise<HealthStatus> }) {
    this.logger = options.logger;
    this.getHealth = options.getHealth;
  }

  start(intervalMs = 30000): void {
    if (this.intervalId) this.stop();

    this.runCheck().catch((err) => this.logger.error('Initial health check failed', { error: String(err) }));
    this.intervalId = setInterval(() => {
      this.runCheck().catch((err) => this.logger.error('Health check failed', { error: String(err) }));
    }, intervalMs);
  }

  stop(): void {
    if (!this.intervalId) return;
    clearInterval(this.intervalId);
    this.intervalId = null;
  }

  /** Never rejects: a throwing probe yields an 'unhealthy' status. */
  async runCheck(): Promise<HealthStatus> {
    try {
      this.lastStatus = await this.getHealth();
      this.logHealthChange(this.lastStatus);
      return this.lastStatus;
    } catch (error) {
      this.lastStatus = {
        status: 'unhealthy',
        message: `Health check error: ${String(error)}`,
        checks: [],
        checkedAt: new Date(),
      };
      this.logger.error('Health check threw an error', { error: String(error) });
      return this.lastStatus;
    }
  }

  getLastStatus(): HealthStatus | null {
    return this.lastStatus;
  }

  private logHealthChange(status: HealthStatus): void {
    const data = { status: status.status, checks: status.checks.map(({ name, status }) => ({ name, status })) };
    const message = `Health check: ${status.status}`;
    if (status.status === 'healthy') this.logger.debug(message, data);
    else this.logger.warn(message, data);
  }
}

/** Any 'fail' makes it unhealthy, else any 'warn' degraded; no checks is healthy. */
export function aggregateHealthChecks(checks: HealthCheck[]): 'healthy' | 'degraded' | 'unhealthy' {
  if (checks.some((check) => check.status === 'fail')) return 'unhealthy';
  if (checks.some((check) => check.status === 'warn')) return 'degraded';
  return 'healthy';
}

export function createHealthCheck(
  name: string,
  status: 'pass' | 'warn' | 'fail',
  message?: string,
  data?: Record<string, unknown>,
): HealthCheck {
  return { name, status, message, data };
}
