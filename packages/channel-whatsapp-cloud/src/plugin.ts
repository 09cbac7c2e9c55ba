/**
 * omni's WhatsApp Business Cloud API channel: a `BaseChannelPlugin` whose every rule — webhook
 * signatures, payload mapping, omni's message shapes, Graph requests, error classification —
 * lives in the sandboxed component it runs. This class only hosts it: instances and their
 * capabilities, omni's bus and storage, retries, the webhook route.
 */

import { BaseChannelPlugin } from '@omni/channel-sdk';
import type {
  ConnectionStatus,
  HealthCheck,
  InstanceConfig,
  OutgoingMessage,
  PluginContext,
} from '@omni/channel-sdk';
import type { ChannelType } from '@omni/core/types';

import { WHATSAPP_CLOUD_CAPABILITIES } from './capabilities.js';
import { ChatIndex } from './chats.js';
import { componentInfo } from './component-info.js';
import { type InstanceSettings, mergeSettings, settingsOf } from './config.js';
import { type ErrorSummary, NOT_CONNECTED, WhatsAppCloudError, problemList, summarize } from './errors.js';
import { type BusEvent, EventForwarder } from './events.js';
import { type HostedInstance, InstanceRegistry } from './instances.js';
import { MediaLinks, mediaPath } from './media-links.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry.js';
import { grantEgress } from './runtime/egress.js';
import { type CallCapabilities, ComponentRuntime, PluginFailure, type Result, type RuntimeOptions } from './runtime/index.js';
import type { BlockOutcome, BusinessProfile, ChannelError, ProfileUpdate } from './runtime/wit.js';
import { type WhatsAppSendResult, sendOmniMessage } from './sending.js';
import { defaultKeyFile, loadSecret } from './secret.js';
import { SettingsStore, deriveKey } from './settings-store.js';
import { incomingRequest, instanceOf, jsonResponse, readBody, toResponse } from './webhook.js';

export interface WhatsAppCloudPluginOptions {
  /** How the component runs (processes, limits). */
  runtime?: RuntimeOptions;
  /** How sends are retried (default: `omni-host`'s, 4 attempts within 60 s). */
  retry?: RetryPolicy;
  /** How long published event ids are remembered to drop Meta's redeliveries. */
  dedupTtlMs?: number;
  /** How long a chat's last received message is remembered (for read receipts and typing). */
  chatTtlMs?: number;
  /** Largest webhook body accepted (default 4 MiB; Meta documents deliveries of up to 3 MB). */
  maxWebhookBytes?: number;
  /** Largest event payload published (default 1 MiB less 16 KiB for omni's envelope: NATS's
   * default `max_payload`). The component sheds the raw copy of a larger event, or reports the
   * item instead, so the rest of the delivery is still published. */
  maxEventBytes?: number;
  /** Largest response read from the Graph API for ordinary calls. */
  maxResponseBytes?: number;
  /** omni's webhook base, where media links point (default: omni's `webhookBaseUrl`, which
   * omni serves at `/webhooks`: links are `{base}/whatsapp-cloud/media/...`). */
  mediaBaseUrl?: string;
  /** How long a media link stays valid (default 1 h). */
  mediaLinkTtlMs?: number;
  /** The plugin's secret (at least 32 bytes), from which the keys that encrypt the stored
   * instance settings and sign media links are derived. Default: `WHATSAPP_CLOUD_SECRET`, else
   * a key file beside omni's data (see `secretKeyFile`). omni replicas behind one load balancer
   * need the same one. */
  secret?: string;
  /** Where the generated secret is kept when none is given (default
   * `{omni's data}/whatsapp-cloud/secret.key`, beside `MEDIA_STORAGE_PATH`). */
  secretKeyFile?: string;
  /** Waits between retries (tests pass a recorder). */
  sleep?(ms: number): Promise<void>;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const DEFAULT_MAX_WEBHOOK_BYTES = 4 * 1024 * 1024;
const DEFAULT_MAX_EVENT_BYTES = 1024 * 1024 - 16 * 1024;
/** A 100 MB document plus headroom: what a media download may read. */
const MEDIA_RESPONSE_BYTES = 110 * 1024 * 1024;

export class WhatsAppCloudPlugin extends BaseChannelPlugin {
  readonly id = componentInfo.id as ChannelType;
  readonly name = componentInfo.name;
  readonly version = componentInfo.version;
  readonly capabilities = WHATSAPP_CLOUD_CAPABILITIES;

  private runtime: ComponentRuntime | undefined;
  private forwarder!: EventForwarder;
  private chats!: ChatIndex;
  private links!: MediaLinks;
  private settings!: SettingsStore;
  private readonly hosted = new InstanceRegistry();
  private readonly failures = new Map<string, number>();
  /** omni is shutting down (`destroy`): its instances are not being disconnected. */
  private stopping = false;

  constructor(private readonly options: WhatsAppCloudPluginOptions = {}) {
    super();
  }

  protected override async onInitialize(context: PluginContext): Promise<void> {
    const runtime = await ComponentRuntime.start(this.options.runtime);
    const info = await runtime.info();
    if (info.id !== this.id || info.version !== this.version || info.contract !== componentInfo.contract) {
      runtime.close();
      throw new Error(
        `the component (${info.id} ${info.version}, ${info.contract}) is not the one this package was built from; run the build again`,
      );
    }
    this.runtime = runtime;
    this.chats = new ChatIndex(context.storage, this.options.chatTtlMs ?? DAY_MS);
    const env = this.options.secret === undefined ? process.env : { WHATSAPP_CLOUD_SECRET: this.options.secret };
    const secret = loadSecret(env, this.options.secretKeyFile ?? defaultKeyFile(context.config.mediaStorage?.basePath));
    this.settings = new SettingsStore(context.storage, secret.bytes, (instanceId, reason) =>
      this.logger.warn('the stored settings of an instance are unreadable; it needs them again', { instanceId, reason }),
    );
    this.links = new MediaLinks(
      this.options.mediaBaseUrl ?? context.config.webhookBaseUrl,
      this.options.mediaLinkTtlMs ?? 60 * 60 * 1000,
      deriveKey(secret.bytes, 'media-links'),
    );
    this.forwarder = new EventForwarder({
      eventBus: context.eventBus,
      storage: context.storage,
      logger: this.logger,
      channelType: this.id,
      dedupTtlMs: this.options.dedupTtlMs ?? DAY_MS,
      timings: (event) => this.timingsOf(event),
      published: (event) => this.afterPublish(event),
    });
    this.logger.info('WhatsApp Cloud component ready', {
      contract: info.contract,
      component: componentInfo.component.sha256.slice(0, 12),
      secret: secret.source,
    });
  }

  /** omni stopping is not omni disconnecting its instances: `BaseChannelPlugin.destroy`
   * disconnects each one, and an `instance.disconnected` published then would make omni's
   * listener mark them inactive — and omni's next start would not reconnect them. */
  override async destroy(): Promise<void> {
    this.stopping = true;
    try {
      await super.destroy();
    } finally {
      this.stopping = false;
    }
  }

  protected override async onDestroy(): Promise<void> {
    this.runtime?.close();
    this.runtime = undefined;
  }

  /** The JSON Schema of an instance's configuration, for omni's instance UI: the component's own.
   * Secrets (`writeOnly`) belong in `credentials`, the rest in `options`; either works. */
  getConfigSchema(): Record<string, unknown> {
    return componentInfo.configSchema;
  }

  // ─────────────────────────────────────────────────────────────
  // Instances
  // ─────────────────────────────────────────────────────────────

  /**
   * Validates an instance's settings with the component, hosts it (its webhooks are handled
   * from then on), keeps its settings — encrypted, in omni's plugin storage — and checks its
   * credentials and setup with Meta.
   *
   * omni passes the settings as `credentials` and `options` when an instance is created or
   * connected with them; when it reconnects (at start-up, from its monitor, on restart) it
   * passes none, and the kept settings are used. Settings given again replace the kept ones key
   * by key. A connect that fails leaves a hosted instance hosted and its kept settings kept:
   * omni's monitor tries again.
   */
  async connect(instanceId: string, config: InstanceConfig): Promise<void> {
    const runtime = this.requireRuntime();
    this.setStatus(instanceId, config, { state: 'connecting', since: new Date() });
    const given = settingsOf(config);
    const kept = await this.settings.load(instanceId).catch((error: unknown) => {
      this.logger.warn('plugin storage unreadable; the instance needs its settings given', { instanceId, error: String(error) });
      return undefined;
    });
    const settings = given ? mergeSettings(kept, given) : kept;
    if (!settings) {
      const summary = {
        message: `instance ${instanceId} has no settings: connect it with its credentials and options (see the package's README: omni passes them once omni-patches/ are applied)`,
        code: 'WHATSAPP_NOT_CONFIGURED',
        providerCode: 'no-settings',
        retryable: false,
      };
      this.setError(instanceId, config, summary);
      throw new WhatsAppCloudError(summary);
    }
    const instance = await this.prepare(instanceId, config, settings);
    // Hosted even if Meta refuses the token below: webhooks are verified with the app secret.
    this.hosted.set(instance);
    if (given) {
      await this.settings.save(instanceId, settings).catch((error: unknown) => {
        this.logger.error('could not keep the instance settings; a restart of omni will need them again', { instanceId, error: String(error) });
      });
    }
    const connected = await this.guard(instanceId, config, () =>
      runtime.connect(this.capabilitiesOf(instance), instance.wit, { subscribeWebhooks: settings.subscribeWebhooks }),
    );
    if (!connected.ok) {
      const summary = summarize(connected.error);
      this.setError(instanceId, config, summary);
      throw new WhatsAppCloudError(summary);
    }
    instance.connection = connected.value;
    // The credentials work; a failed setup check (no webhook subscription...) says what else to fix.
    const failedChecks = connected.value.checks.filter((check) => !check.passed);
    for (const check of failedChecks) {
      this.logger.warn('setup check failed', { instanceId, check: check.name, detail: check.detail, fix: check.fix });
    }
    this.setStatus(instanceId, config, {
      state: 'connected',
      since: new Date(),
      ...(failedChecks.length > 0 && { message: failedChecks.map((check) => `${check.name}: ${check.detail}`).join('; ') }),
      metadata: { profileName: connected.value.profileName, ownerIdentifier: connected.value.ownerIdentifier },
    });
  }

  /**
   * The problems of an instance's settings, by field (a JSON pointer: `/appSecret`), before omni
   * stores the instance; empty when they are usable. Nothing is kept or called.
   */
  async validateConfig(config: InstanceConfig): Promise<Array<{ field: string; message: string }>> {
    const settings = settingsOf(config);
    if (!settings) return [{ field: '', message: 'no settings given: pass the credentials and options of the instance' }];
    const validated = await this.requireRuntime().validateConfig(JSON.stringify(settings.config));
    return validated.ok ? [] : validated.error.map(({ field, message }) => ({ field, message }));
  }

  /** The component's validation of `settings`, and the egress granted: the instance to host. */
  private async prepare(instanceId: string, config: InstanceConfig, settings: InstanceSettings): Promise<HostedInstance> {
    const runtime = this.requireRuntime();
    const validated = await this.guard(instanceId, config, () => runtime.validateConfig(JSON.stringify(settings.config)));
    if (!validated.ok) {
      const summary = {
        message: `invalid configuration: ${problemList(validated.error)}`,
        code: 'WHATSAPP_INVALID_CONFIG',
        providerCode: 'invalid-config',
        retryable: false,
      };
      this.setError(instanceId, config, summary);
      throw new WhatsAppCloudError(summary, validated.error);
    }
    const grant = grantEgress(validated.value.egress, settings.egress);
    for (const origin of grant.undeclared) {
      this.logger.warn('egress listed but not declared by the component: not granted', { instanceId, origin });
    }
    return {
      wit: { id: instanceId, config: validated.value.config },
      egress: grant.granted,
      appKey: validated.value.appKey,
      routingKeys: validated.value.routingKeys,
    };
  }

  /** omni disconnects the instance: it sends nothing until it is connected again, while Meta's
   * webhooks for it are still handled (nothing Meta delivers is refused or lost) — as
   * `omni-host`'s disconnect. Its settings are kept for the next connect. */
  async disconnect(instanceId: string): Promise<void> {
    const hosted = this.hosted.get(instanceId);
    if (hosted) hosted.paused = true;
    const known = this.instances.get(instanceId);
    if (!known || this.stopping) return;
    this.instances.updateStatus(instanceId, { state: 'disconnected', since: new Date(), message: 'disconnected by omni' });
    await this.emitInstanceDisconnected(instanceId, 'disconnected by omni', false);
  }

  /** omni logs the instance out (`POST /instances/:id/logout`): disconnected, no longer hosted,
   * and its kept settings erased — it needs them given again. */
  async logout(instanceId: string): Promise<void> {
    await this.disconnect(instanceId);
    this.hosted.delete(instanceId);
    await this.settings.forget(instanceId);
  }

  async getProfile(instanceId: string): Promise<{
    name?: string;
    ownerIdentifier?: string;
    platformMetadata: Record<string, unknown>;
  }> {
    const connection = this.hosted.get(instanceId)?.connection;
    if (!connection) throw notConnected(instanceId);
    return {
      name: connection.profileName,
      ownerIdentifier: connection.ownerIdentifier,
      platformMetadata: { ...(JSON.parse(connection.raw) as Record<string, unknown>), qualityRating: connection.qualityRating },
    };
  }

  // ─────────────────────────────────────────────────────────────
  // Messaging
  // ─────────────────────────────────────────────────────────────

  async sendMessage(instanceId: string, message: OutgoingMessage): Promise<WhatsAppSendResult> {
    const instance = this.hosted.get(instanceId);
    if (!instance || instance.paused) {
      return { success: false, error: `instance ${instanceId} is not connected`, errorCode: NOT_CONNECTED, providerCode: 'not-connected', retryable: false, timestamp: Date.now() };
    }
    const result = await sendOmniMessage(
      {
        runtime: this.requireRuntime(),
        retry: this.options.retry ?? DEFAULT_RETRY_POLICY,
        sleep: this.options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
        capabilities: (i) => this.capabilitiesOf(i),
        logger: this.logger,
      },
      instance,
      message,
    );
    if (!result.success && result.providerCode?.startsWith('plugin-')) this.countFailure(result.providerCode);
    this.instances.recordActivity(instanceId);
    return result;
  }

  /** WhatsApp's typing indicator, shown against the chat's last received message (it clears
   * on the reply, or after 25 s). It cannot be stopped early: `duration` 0 does nothing. */
  async sendTyping(instanceId: string, chatId: string, duration?: number): Promise<void> {
    if (duration === 0) return;
    const last = await this.chats.lastReceived(instanceId, chatId);
    if (!last) {
      this.logger.debug('no received message to show typing against', { instanceId, chatId });
      return;
    }
    await this.markRead(instanceId, last, true);
  }

  /** Marks messages read. WhatsApp marks a message and every earlier one of the chat: the
   * chat's last received message suffices when it is among them; `['all']` marks the chat. */
  async markAsRead(instanceId: string, chatId: string, messageIds: string[]): Promise<void> {
    if (messageIds.length === 1 && messageIds[0] === 'all') return this.markChatAsRead(instanceId, chatId);
    const last = await this.chats.lastReceived(instanceId, chatId);
    const targets = last && messageIds.includes(last) ? [last] : [...new Set(messageIds)];
    for (const id of targets) await this.markRead(instanceId, id, false);
  }

  async markChatAsRead(instanceId: string, chatId: string): Promise<void> {
    const last = await this.chats.lastReceived(instanceId, chatId);
    if (last) await this.markRead(instanceId, last, false);
  }

  // ─────────────────────────────────────────────────────────────
  // The business account (beyond omni's interface: block lists, the business profile)
  // ─────────────────────────────────────────────────────────────

  /** Blocks users (phone numbers or chat ids) from messaging the instance; Meta blocks only
   * users who messaged the business in the last 24 hours, and names the others in `failed`. */
  blockUsers(instanceId: string, users: string[]): Promise<BlockOutcome> {
    return this.accountCall(instanceId, (runtime, caps, wit) => runtime.blockUsers(caps, wit, users, true));
  }

  /** Unblocks users. */
  unblockUsers(instanceId: string, users: string[]): Promise<BlockOutcome> {
    return this.accountCall(instanceId, (runtime, caps, wit) => runtime.blockUsers(caps, wit, users, false));
  }

  /** The business profile users see. */
  getBusinessProfile(instanceId: string): Promise<BusinessProfile> {
    return this.accountCall(instanceId, (runtime, caps, wit) => runtime.getBusinessProfile(caps, wit));
  }

  /** Changes the business profile; absent fields stay as they are. */
  async updateBusinessProfile(instanceId: string, update: Partial<ProfileUpdate>): Promise<void> {
    await this.accountCall(instanceId, (runtime, caps, wit) => runtime.updateBusinessProfile(caps, wit, update as ProfileUpdate));
  }

  // ─────────────────────────────────────────────────────────────
  // Webhooks
  // ─────────────────────────────────────────────────────────────

  /** Meta's webhook: `GET` verification and signed `POST` notifications, for the instance the URL
   * names (`?instance={id}` or `/webhooks/whatsapp-cloud/{id}`). Answers 5xx when the events
   * could not all be published, so Meta redelivers. */
  async handleWebhook(request: Request): Promise<Response> {
    const runtime = this.requireRuntime();
    const url = new URL(request.url);
    const media = mediaPath(url);
    if (media) return this.serveMedia(url, media.instanceId, media.mediaId);
    const id = instanceOf(url);
    const receiver = id === undefined ? this.hosted.soleApp() : this.hosted.get(id);
    if (!receiver) {
      return id === undefined
        ? jsonResponse(400, { error: 'the webhook URL names no instance: add ?instance={instanceId}' })
        : jsonResponse(404, { error: `no instance \`${id}\` is connected` });
    }
    const maxBodyBytes = this.options.maxWebhookBytes ?? DEFAULT_MAX_WEBHOOK_BYTES;
    const body = await readBody(request, maxBodyBytes);
    if (!body) return jsonResponse(413, { error: 'the body is larger than the webhook accepts' });
    const limits = {
      maxBodyBytes: BigInt(maxBodyBytes),
      maxEventBytes: BigInt(this.options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES),
    };
    const routes = this.hosted.routesFor(receiver);
    const instances = [receiver.wit.id, ...routes.map((r) => r.instanceId)];
    const caps: CallCapabilities = {
      publish: this.forwarder.publisher(instances),
      log: (level, message) => this.componentLog(level, message),
      // Links for the instances of this delivery only.
      mediaLink: (instanceId, mediaId) => (instances.includes(instanceId) ? this.links.link(instanceId, mediaId) : undefined),
    };
    try {
      const response = await runtime.handleWebhook(caps, receiver.wit, routes, incomingRequest(request, url, body), limits);
      return toResponse(response);
    } catch (error) {
      const failure = error instanceof PluginFailure ? error : new PluginFailure('host', String(error));
      this.countFailure(`plugin-${failure.kind}`);
      this.logger.error('the component failed on a webhook; Meta will redeliver', { kind: failure.kind, error: failure.message });
      return jsonResponse(500, { error: failure.message });
    }
  }

  /** A received file, for whoever holds a link the component put in an event: the link is the
   * credential (a signature and an expiry only this plugin can produce). */
  private async serveMedia(url: URL, instanceId: string, mediaId: string): Promise<Response> {
    const refusal = this.links.verify(instanceId, mediaId, url.searchParams.get('expires'), url.searchParams.get('signature'));
    if (refusal === 'forged') return jsonResponse(403, { error: 'not a media link of this plugin' });
    if (refusal === 'expired') return jsonResponse(410, { error: 'the media link has expired' });
    const instance = this.hosted.get(instanceId);
    if (!instance) return jsonResponse(404, { error: `no instance \`${instanceId}\` is connected` });
    const caps = this.capabilitiesOf(instance, MEDIA_RESPONSE_BYTES);
    let downloaded: Awaited<ReturnType<ComponentRuntime['downloadMedia']>>;
    try {
      downloaded = await this.requireRuntime().downloadMedia(caps, instance.wit, mediaId);
    } catch (error) {
      const failure = error instanceof PluginFailure ? error : new PluginFailure('host', String(error));
      this.countFailure(`plugin-${failure.kind}`);
      return jsonResponse(500, { error: failure.message });
    }
    if (!downloaded.ok) {
      const summary = summarize(downloaded.error);
      const status = downloaded.error.tag === 'invalid-request' ? 404 : downloaded.error.tag === 'unreachable' ? 503 : 502;
      return jsonResponse(status, { error: downloaded.error.tag, message: summary.message, code: summary.providerCode });
    }
    const { bytes, mimeType, sha256 } = downloaded.value;
    return new Response(bytes as Uint8Array<ArrayBuffer>, {
      status: 200,
      headers: { 'content-type': mimeType, 'content-length': String(bytes.length), 'x-content-sha256': sha256 },
    });
  }

  // ─────────────────────────────────────────────────────────────
  // Health
  // ─────────────────────────────────────────────────────────────

  protected override async getHealthChecks(): Promise<HealthCheck[]> {
    const checks = await super.getHealthChecks();
    if (!this.runtime) {
      checks.push({ name: 'component', status: 'fail', message: 'the component is not running (initialize not called, or destroyed)' });
      return checks;
    }
    const stats = this.runtime.stats;
    const waiting = stats.inbound.waiting + stats.outbound.waiting;
    checks.push({
      name: 'component',
      status: waiting > 0 ? 'warn' : 'pass',
      message: waiting > 0 ? `${waiting} calls wait for a component process` : `${componentInfo.contract} component running`,
      data: { ...stats, failures: Object.fromEntries(this.failures), sha256: componentInfo.component.sha256 },
    });
    // What the last connect of each instance found wrong with its setup (it still connected).
    for (const instance of this.hosted.all()) {
      for (const check of instance.connection?.checks ?? []) {
        if (check.passed) continue;
        checks.push({ name: `${instance.wit.id}: ${check.name}`, status: 'warn', message: check.detail, data: { fix: check.fix } });
      }
    }
    return checks;
  }

  // ─────────────────────────────────────────────────────────────
  // Internals
  // ─────────────────────────────────────────────────────────────

  private requireRuntime(): ComponentRuntime {
    if (!this.runtime) throw new Error('the WhatsApp Cloud plugin is not initialized');
    return this.runtime;
  }

  /** What a call for `instance` may touch: its egress, publishing for it, logging. */
  private capabilitiesOf(instance: HostedInstance, maxResponseBytes = this.options.maxResponseBytes ?? 4 * 1024 * 1024): CallCapabilities {
    return {
      egress: { origins: instance.egress, maxResponseBytes, maxTimeoutMs: 120_000 },
      publish: this.forwarder.publisher([instance.wit.id]),
      log: (level, message) => this.componentLog(level, message),
    };
  }

  private async markRead(instanceId: string, messageId: string, showTyping: boolean): Promise<void> {
    const instance = this.hosted.get(instanceId);
    if (!instance || instance.paused) throw notConnected(instanceId);
    const result = await this.requireRuntime().markRead(this.capabilitiesOf(instance), instance.wit, messageId, showTyping);
    if (!result.ok) throw new WhatsAppCloudError(summarize(result.error));
  }

  /** An account export for a connected instance; its typed error thrown as a `WhatsAppCloudError`. */
  private async accountCall<T>(
    instanceId: string,
    call: (runtime: ComponentRuntime, caps: CallCapabilities, wit: HostedInstance['wit']) => Promise<Result<T, ChannelError>>,
  ): Promise<T> {
    const instance = this.hosted.get(instanceId);
    if (!instance || instance.paused) throw notConnected(instanceId);
    const result = await call(this.requireRuntime(), this.capabilitiesOf(instance), instance.wit);
    if (!result.ok) throw new WhatsAppCloudError(summarize(result.error));
    return result.value;
  }

  /** Runs a component call during `connect`, turning a call failure into the instance's error. */
  private async guard<T>(instanceId: string, config: InstanceConfig, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      const summary = summarize(error instanceof PluginFailure ? error : new PluginFailure('host', String(error)));
      this.setError(instanceId, config, summary);
      throw new WhatsAppCloudError(summary);
    }
  }

  private setStatus(instanceId: string, config: InstanceConfig, status: ConnectionStatus): void {
    this.instances.setInstance(instanceId, config, status);
  }

  private setError(instanceId: string, config: InstanceConfig, summary: ErrorSummary): void {
    this.setStatus(instanceId, config, {
      state: 'error',
      since: new Date(),
      message: summary.message,
      error: { code: summary.code, message: summary.message, retryable: summary.retryable },
    });
  }

  private timingsOf(event: BusEvent): Record<string, number> | undefined {
    if (event.type !== 'message.received' || event.occurredAt === undefined) return undefined;
    return this.captureInboundTimings(event.occurredAt);
  }

  /** Bookkeeping once an event is on the bus. */
  private async afterPublish(event: BusEvent): Promise<void> {
    this.instances.recordActivity(event.instanceId);
    const payload = event.payload;
    if (event.type === 'message.received') {
      if (event.metadata.timings && event.metadata.correlationId) this.captureT2(event.metadata.correlationId, event.metadata.timings);
      if (typeof payload.chatId === 'string' && typeof payload.externalId === 'string' && payload.externalId) {
        await this.chats.remember(event.instanceId, payload.chatId, payload.externalId).catch((error: unknown) => {
          this.logger.warn('could not remember the chat of a message', { error: String(error) });
        });
      }
    } else if (event.type === 'instance.disconnected') {
      // Meta refused the token: the component said so; the instance stays hosted for webhooks.
      const message = typeof payload.reason === 'string' ? payload.reason : 'Meta refused the credentials';
      const providerCode = typeof payload.errorCode === 'string' ? ` (${payload.errorCode})` : '';
      this.instances.updateStatus(event.instanceId, {
        state: 'error',
        since: new Date(),
        message: `${message}${providerCode}`,
        error: { code: 'WHATSAPP_AUTH_FAILED', message: `${message}${providerCode}`, retryable: false },
      });
    }
  }

  private componentLog(level: string, message: string): void {
    const line = `component: ${message}`;
    if (level === 'error') this.logger.error(line);
    else if (level === 'warn') this.logger.warn(line);
    else if (level === 'info') this.logger.info(line);
    else this.logger.debug(line);
  }

  private countFailure(kind: string): void {
    this.failures.set(kind, (this.failures.get(kind) ?? 0) + 1);
  }
}

function notConnected(instanceId: string): WhatsAppCloudError {
  return new WhatsAppCloudError({ message: `instance ${instanceId} is not connected`, code: NOT_CONNECTED, providerCode: 'not-connected', retryable: false });
}
