// Minimal in-memory stand-in for omni's journey tracker (no TTL, no LRU, no OTel).

export const JOURNEY_STAGES = {
  // inbound
  T0: 'platformReceivedAt',
  T0a: 'pluginIngestedAt',
  T0b: 'mediaReadyAt',
  T1: 'pluginReceivedAt',
  T2: 'eventPublishedAt',
  T3: 'eventConsumedAt',
  T4: 'dbStoredAt',
  T5: 'agentNotifiedAt',
  // T6 (agent thinking) happens outside omni and has no checkpoint
  T7: 'agentCompletedAt',
  // outbound
  T8: 'apiProcessedAt',
  T9: 'outboundEventPublishedAt',
  T10: 'pluginSentAt',
  T11: 'platformDeliveredAt',
} as const;

export type JourneyStage = keyof typeof JOURNEY_STAGES;
export type JourneyStageName = (typeof JOURNEY_STAGES)[JourneyStage];

export interface JourneyCheckpoint {
  name: string;
  stage: string;
  timestamp: number;
}

export interface Journey {
  correlationId: string;
  checkpoints: JourneyCheckpoint[];
  startedAt: number;
  completedAt?: number;
}

export class JourneyTracker {
  private journeys = new Map<string, Journey>();

  /** Every journey is sampled in tests. */
  shouldSample(): boolean {
    return true;
  }

  isTracking(correlationId: string): boolean {
    return this.journeys.has(correlationId);
  }

  /** `stage` is the key ('T0'), `name` the descriptive name ('platformReceivedAt'). */
  recordCheckpoint(correlationId: string, stage: string, name: string, timestamp: number = Date.now()): void {
    let journey = this.journeys.get(correlationId);
    if (!journey) {
      journey = { correlationId, checkpoints: [], startedAt: timestamp };
      this.journeys.set(correlationId, journey);
    }
    journey.checkpoints.push({ name, stage, timestamp });
    if (stage === 'T11') journey.completedAt = timestamp;
  }

  getJourney(correlationId: string): Journey | null {
    return this.journeys.get(correlationId) ?? null;
  }

  /** Test hook: the checkpoints recorded for a correlation id, in order (a copy). */
  checkpoints(correlationId: string): JourneyCheckpoint[] {
    return [...(this.journeys.get(correlationId)?.checkpoints ?? [])];
  }

  get size(): number {
    return this.journeys.size;
  }

  clear(): void {
    this.journeys.clear();
  }

  destroy(): void {
    this.journeys.clear();
  }
}

let tracker: JourneyTracker | null = null;

export function getJourneyTracker(): JourneyTracker {
  tracker ??= new JourneyTracker();
  return tracker;
}

export function resetJourneyTracker(): void {
  tracker?.destroy();
  tracker = null;
}
