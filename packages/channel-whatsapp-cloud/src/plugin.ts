/**
 * omni's WhatsApp Business Cloud API channel: a `BaseChannelPlugin` adapting omni's SDK to the
 * host runtime. Every rule of the channel lives in the sandboxed component (signatures, payload
 * mapping, omni's message shapes, Graph requests, error classification) and every rule of the
 * host in `omni-host`'s runtime, embedded as a Node-API addon (the sandbox, egress grants,
 * limits, lanes, retries, media links, the event envelope, omni's error codes). This class keeps
 * what is omni's: its bus and storage, its logger, its `Request`s and statuses.
 */

import { BaseChannelPlugin } from '@omni/channel-sdk';
import type { ConnectionStatus, HealthCheck, InstanceConfig, OutgoingMessage, PluginContext, SendResult } from '@omni/channel-sdk';
import type { ChannelType } from '@omni/core/types';

import type { BlockOutcome, BusinessProfile, CallAction, GroupAction, GroupOutcome, ProfileUpdate } from './actions.js';
import { liftBinaries } from './attachments.js';
import { WHATSAPP_CLOUD_CAPABILITIES } from './capabilities.js';
import { ChatIndex } from './chats.js';
import { componentInfo, componentPath } from './component-info.js';
import { type InstanceSettings, egressFromEnvironment, mergeSettings, settingsOf } from './config.js';
import { type ConfigProblem, type ErrorSummary, WhatsAppCloudError, invalidConfig, notConnected } from './errors.js';
import { afterPublish } from './bookkeeping.js';
import { type BusEvent, Publisher } from './events.js';
import { type Connection, type Hosted, componentChecks } from './health.js';
import { type NativeHost, loadNative } from './native.js';
import { DAY_MS, DEFAULT_MAX_WEBHOOK_BYTES, type WhatsAppCloudPluginOptions } from './options.js';
import { hostLogger } from './host-log.js';
import { defaultKeyFile, loadSecret } from './secret.js';
import { SettingsStore, deriveKey } from './settings-store.js';
import { WEBHOOK_SEGMENT, answerWebhook } from './webhook.js';

export class WhatsAppCloudPlugin extends BaseChannelPlugin {
  readonly id = componentInfo.id as ChannelType;
  readonly name = componentInfo.name;
  readonly version = componentInfo.version;
  readonly capabilities = WHATSAPP_CLOUD_CAPABILITIES;

  private host: NativeHost | undefined;
  private publisher!: Publisher;
  private chats!: ChatIndex;
  private settings!: SettingsStore;
  /** Instances the host runs, with what their last connect reported. */
  private readonly hosted = new Map<string, Hosted>();
  /** omni is shutting down (`destroy`): its instances are not being disconnected. */
  private stopping = false;

  constructor(private readonly options: WhatsAppCloudPluginOptions = {}) {
    super();
  }

  protected override async onInitialize(context: PluginContext): Promise<void> {
    const env = this.options.secret === undefined ? process.env : { WHATSAPP_CLOUD_SECRET: this.options.secret };
    const secret = loadSecret(env, this.options.secretKeyFile ?? defaultKeyFile(context.config.mediaStorage?.basePath));
    this.settings = new SettingsStore(context.storage, secret.bytes, (instanceId, reason) =>
      this.logger.warn('the stored settings of an instance are unreadable; it needs them again', { instanceId, reason }),
    );
    this.chats = new ChatIndex(context.storage, this.options.chatTtlMs ?? DAY_MS);
    this.publisher = new Publisher({
      eventBus: context.eventBus,
      storage: context.storage,
      logger: this.logger,
      dedupTtlMs: this.options.dedupTtlMs ?? DAY_MS,
      timings: (event) => this.timingsOf(event),
      published: (event) =>
        afterPublish(event, { instances: this.instances, chats: this.chats, logger: this.logger, captureT2: (id, timings) => this.captureT2(id, timings) }),
    });
    const { component, ...limits } = this.options.runtime ?? {};
    const webhookBase = (this.options.mediaBaseUrl ?? context.config.webhookBaseUrl).replace(/\/+$/, '');
    const started = performance.now();
    const host = loadNative().Host.load(
      {
        ...limits,
        component: component ?? componentPath,
        errorFamily: 'WHATSAPP',
        mediaLinksUrl: `${webhookBase}/${WEBHOOK_SEGMENT}/media`,
        mediaLinkKey: deriveKey(secret.bytes, 'media-links'),
        mediaLinkTtlSeconds: this.options.mediaLinkTtlSeconds,
        maxWebhookBytes: this.options.maxWebhookBytes,
        maxEventBytes: this.options.maxEventBytes,
        egress: this.options.egress ?? egressFromEnvironment(process.env),
      },
      this.publisher.publish,
      hostLogger(this.logger),
    );
    const info = JSON.parse(host.info()) as { id: string; version: string; contract: string };
    if (component === undefined && (info.id !== this.id || info.version !== this.version || info.contract !== componentInfo.contract)) {
      throw new Error(
        `the component (${info.id} ${info.version}, ${info.contract}) is not the one this package was built from; run the build again`,
      );
    }
    this.host = host;
    this.logger.info('WhatsApp Cloud host ready', {
      contract: info.contract,
      component: componentInfo.component.sha256.slice(0, 12),
      loadMs: Math.round(performance.now() - started),
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
    for (const id of this.hosted.keys()) this.host?.removeInstance(id);
    this.hosted.clear();
    this.host = undefined;
  }

  /** The JSON Schema of an instance's configuration, for omni's instance UI: the component's own.
   * Secrets (`writeOnly`) belong in `credentials`, the rest in `options`; either works. */
  getConfigSchema(): Record<string, unknown> {
    return componentInfo.configSchema;
  }

  // ── Instances ──

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
    const host = this.requireHost();
    this.setStatus(instanceId, config, { state: 'connecting', since: new Date() });
    const given = settingsOf(config);
    const kept = await this.settings.load(instanceId).catch((error: unknown) => {
      this.logger.warn('plugin storage unreadable; the instance needs its settings given', { instanceId, error: String(error) });
      return undefined;
    });
    const settings = given ? mergeSettings(kept, given) : kept;
    if (!settings) {
      this.fail(instanceId, config, {
        message: `instance ${instanceId} has no settings: connect it with its credentials and options (see the package's README.md: omni passes them once omni-patches/ are applied)`,
        code: 'WHATSAPP_NOT_CONFIGURED',
        providerCode: 'no-settings',
        retryable: false,
      });
    }
    this.host_(instanceId, config, settings);
    if (given) {
      await this.settings.save(instanceId, settings).catch((error: unknown) => {
        this.logger.error('could not keep the instance settings; a restart of omni will need them again', { instanceId, error: String(error) });
      });
    }
    const outcome = JSON.parse(await host.connect(instanceId, settings.subscribeWebhooks)) as
      | { ok: true; connection: Connection }
      | { ok: false; error: ErrorSummary };
    if (!outcome.ok) this.fail(instanceId, config, outcome.error);
    const connection = outcome.connection;
    this.hosted.set(instanceId, { connection });
    // The credentials work; a failed setup check (no webhook subscription...) says what else to fix.
    const failedChecks = connection.checks.filter((check) => !check.passed);
    for (const check of failedChecks) {
      this.logger.warn('setup check failed', { instanceId, check: check.name, detail: check.detail, fix: check.fix });
    }
    this.setStatus(instanceId, config, {
      state: 'connected',
      since: new Date(),
      ...(failedChecks.length > 0 && { message: failedChecks.map((check) => `${check.name}: ${check.detail}`).join('; ') }),
      metadata: { profileName: connection.profileName, ownerIdentifier: connection.ownerIdentifier },
    });
  }

  /** Hosts (or re-hosts) the instance with `settings`, validated by the component; a refusal
   * leaves an instance already hosted as it was. */
  private host_(instanceId: string, config: InstanceConfig, settings: InstanceSettings): void {
    let answer: { problems?: ConfigProblem[] };
    try {
      answer = JSON.parse(this.requireHost().putInstance(instanceId, JSON.stringify(settings.config), settings.egress ?? null));
    } catch (error) {
      this.fail(instanceId, config, { message: String(error), code: 'WHATSAPP_PLUGIN_FAILED', providerCode: 'plugin-trap', retryable: false });
    }
    if (answer.problems) {
      const error = invalidConfig(answer.problems);
      this.setError(instanceId, config, error);
      throw error;
    }
    if (!this.hosted.has(instanceId)) this.hosted.set(instanceId, {});
    const hosted = this.hosted.get(instanceId);
    if (hosted) hosted.paused = false;
  }

  /**
   * The problems of an instance's settings, by field (a JSON pointer: `/appSecret`), before omni
   * stores the instance; empty when they are usable. Nothing is kept or called.
   */
  async validateConfig(config: InstanceConfig): Promise<ConfigProblem[]> {
    const settings = settingsOf(config);
    if (!settings) return [{ field: '', message: 'no settings given: pass the credentials and options of the instance' }];
    const verdict = JSON.parse(this.requireHost().validateConfig(JSON.stringify(settings.config))) as { ok: boolean; problems?: ConfigProblem[] };
    return verdict.problems ?? [];
  }

  /** omni disconnects the instance: it sends nothing until it is connected again, while Meta's
   * webhooks for it are still handled (nothing Meta delivers is refused or lost) — as
   * `omni-host`'s disconnect, which publishes `instance.disconnected`. Its settings are kept. */
  async disconnect(instanceId: string): Promise<void> {
    const hosted = this.hosted.get(instanceId);
    const known = this.instances.get(instanceId);
    if (!known || this.stopping) return;
    this.instances.updateStatus(instanceId, { state: 'disconnected', since: new Date(), message: 'disconnected by omni' });
    if (!hosted || !this.host) {
      await this.emitInstanceDisconnected(instanceId, 'disconnected by omni', false);
      return;
    }
    hosted.paused = true;
    const failed = await this.host.disconnect(instanceId, 'disconnected by omni');
    if (failed) this.logger.warn('instance.disconnected not published', { instanceId, error: failed });
  }

  /** omni logs the instance out (`POST /instances/:id/logout`): disconnected, no longer hosted,
   * and its kept settings erased — it needs them given again. */
  async logout(instanceId: string): Promise<void> {
    await this.disconnect(instanceId);
    this.host?.removeInstance(instanceId);
    this.hosted.delete(instanceId);
    await this.settings.forget(instanceId);
  }

  async getProfile(instanceId: string): Promise<{ name?: string; ownerIdentifier?: string; platformMetadata: Record<string, unknown> }> {
    const connection = this.hosted.get(instanceId)?.connection;
    if (!connection) throw notConnected(instanceId);
    return {
      name: connection.profileName,
      ownerIdentifier: connection.ownerIdentifier,
      platformMetadata: { ...connection.raw, qualityRating: connection.qualityRating },
    };
  }

  // ── Messaging ──

  /** omni's `SendResult`, with the precise reason (`providerCode`: Meta's `131047`) on failure
   * and `messageIds` when the text went out in parts. */
  async sendMessage(instanceId: string, message: OutgoingMessage): Promise<SendResult & { messageIds?: string[]; providerCode?: string }> {
    const host = this.requireHost();
    if (!this.hosted.has(instanceId) || this.hosted.get(instanceId)?.paused) {
      return { success: false, error: `instance ${instanceId} is not connected`, errorCode: 'WHATSAPP_NOT_CONNECTED', providerCode: 'not-connected', retryable: false, timestamp: Date.now() };
    }
    const { json, attachments } = liftBinaries(message);
    const sent = await host.send(instanceId, json, attachments);
    // message.sent (or message.failed) on omni's bus before omni hears the result.
    if (sent.events !== '[]') {
      const outcome = await this.publisher.publish(sent.events);
      if (outcome !== 'ok') this.logger.warn('the events of a send were not published', { instanceId, outcome });
    }
    this.instances.recordActivity(instanceId);
    return JSON.parse(sent.result) as SendResult & { messageIds?: string[]; providerCode?: string };
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

  // ── The business account, beyond omni's interface: blocks, profile, calls, groups, media ──

  /** Blocks users (phone numbers or chat ids) from messaging the instance; Meta blocks only
   * users who messaged the business in the last 24 hours, and names the others in `failed`. */
  blockUsers(instanceId: string, users: string[]): Promise<BlockOutcome> {
    return this.accountCall(instanceId, (host) => host.blockUsers(instanceId, users, true));
  }

  /** Unblocks users. */
  unblockUsers(instanceId: string, users: string[]): Promise<BlockOutcome> {
    return this.accountCall(instanceId, (host) => host.blockUsers(instanceId, users, false));
  }

  /** The business profile users see. */
  getBusinessProfile(instanceId: string): Promise<BusinessProfile> {
    return this.accountCall(instanceId, (host) => host.businessProfile(instanceId));
  }

  /** Changes the business profile; absent fields stay as they are. */
  async updateBusinessProfile(instanceId: string, update: Partial<ProfileUpdate>): Promise<void> {
    this.requireConnected(instanceId);
    const error = await this.requireHost().updateBusinessProfile(instanceId, JSON.stringify(update));
    if (error) throw new WhatsAppCloudError(JSON.parse(error) as ErrorSummary);
  }

  /** Makes one call action (start, pre-accept, accept, reject, terminate a WhatsApp call); the
   * call's id. Calls arrive as `custom.whatsapp-cloud.call.*` events. */
  callAction(instanceId: string, action: CallAction): Promise<{ callId: string }> {
    return this.accountCall(instanceId, (host) => host.callAction(instanceId, JSON.stringify(action)));
  }

  /** Makes one group action (create, invite links, participants, join requests, delete). */
  groupAction(instanceId: string, action: GroupAction): Promise<GroupOutcome> {
    return this.accountCall(instanceId, (host) => host.groupAction(instanceId, JSON.stringify(action)));
  }

  /** Deletes a file the instance uploaded from Meta. */
  async deleteMedia(instanceId: string, mediaId: string): Promise<void> {
    this.requireConnected(instanceId);
    const error = await this.requireHost().deleteMedia(instanceId, mediaId);
    if (error) throw new WhatsAppCloudError(JSON.parse(error) as ErrorSummary);
  }

  // ── Webhooks ──

  /** Meta's webhook: `GET` verification and signed `POST` notifications, for the instance the URL
   * names (`/webhooks/whatsapp-cloud/{id}` or `?instance={id}`); and the media links the plugin
   * hands out (`/webhooks/whatsapp-cloud/media/...`). Answers 5xx when the events could not all
   * be published, so Meta redelivers. */
  async handleWebhook(request: Request): Promise<Response> {
    return answerWebhook(this.requireHost(), this.publisher.publish, request, this.options.maxWebhookBytes ?? DEFAULT_MAX_WEBHOOK_BYTES);
  }

  // ── Health ──

  protected override async getHealthChecks(): Promise<HealthCheck[]> {
    return [...(await super.getHealthChecks()), ...componentChecks(this.host?.stats(), this.hosted)];
  }

  // ── Internals ──

  private requireHost(): NativeHost {
    if (!this.host) throw new Error('the WhatsApp Cloud plugin is not initialized');
    return this.host;
  }

  private requireConnected(instanceId: string): void {
    const hosted = this.hosted.get(instanceId);
    if (!hosted || hosted.paused) throw notConnected(instanceId);
  }

  private async markRead(instanceId: string, messageId: string, showTyping: boolean): Promise<void> {
    this.requireConnected(instanceId);
    const error = await this.requireHost().markRead(instanceId, messageId, showTyping);
    if (error) throw new WhatsAppCloudError(JSON.parse(error) as ErrorSummary);
  }

  /** An account call for a connected instance; its error thrown as a `WhatsAppCloudError`. */
  private async accountCall<T>(instanceId: string, call: (host: NativeHost) => Promise<string>): Promise<T> {
    this.requireConnected(instanceId);
    const outcome = JSON.parse(await call(this.requireHost())) as { ok: true; value: T } | { ok: false; error: ErrorSummary };
    if (!outcome.ok) throw new WhatsAppCloudError(outcome.error);
    return outcome.value;
  }

  /** Records the failure as the instance's status and throws it. */
  private fail(instanceId: string, config: InstanceConfig, summary: ErrorSummary): never {
    const error = new WhatsAppCloudError(summary);
    this.setError(instanceId, config, error);
    throw error;
  }

  private setStatus(instanceId: string, config: InstanceConfig, status: ConnectionStatus): void {
    this.instances.setInstance(instanceId, config, status);
  }

  private setError(instanceId: string, config: InstanceConfig, error: WhatsAppCloudError): void {
    this.setStatus(instanceId, config, {
      state: 'error',
      since: new Date(),
      message: error.message,
      error: { code: error.code, message: error.message, retryable: error.retryable },
    });
  }

  private timingsOf(event: BusEvent): Record<string, number> | undefined {
    if (event.type !== 'message.received' || event.occurredAt === null) return undefined;
    return this.captureInboundTimings(event.occurredAt);
  }


}
