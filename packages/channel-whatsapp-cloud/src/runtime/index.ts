/**
 * The component, run in-process for omni: the same `.wasm` `omni-host` runs, transpiled by jco
 * at the package's build step, in a pool of component processes (see `component-process.ts`).
 *
 * Every call gets the capabilities of that call only — network access to the origins the
 * component declared for the instance, publishing, logging — within a time budget, a wall-clock
 * bound and a memory limit. Webhooks run on their own processes, so no slow send, upload or
 * Graph API call ever delays Meta's deliveries.
 */

import { fileURLToPath } from 'node:url';

import type { BlockOutcome, BusinessProfile, ProfileUpdate } from '../../generated/component/interfaces/omni-channel-account.js';
import type { Event, PublishError } from '../../generated/component/interfaces/omni-channel-events.js';
import type { DownloadedMedia, MediaUpload } from '../../generated/component/interfaces/omni-channel-media.js';
import type {
  Attachment,
  DecodedMessage,
  OutgoingMessage,
  SendOptions,
  SendReceipt,
  TemplateParameter,
} from '../../generated/component/interfaces/omni-channel-messaging.js';
import type { ConnectOptions, ConnectionInfo, PluginInfo, ValidatedConfig } from '../../generated/component/interfaces/omni-channel-plugin.js';
import type { ChannelError, ConfigProblem, Instance, InvalidField } from '../../generated/component/interfaces/omni-channel-types.js';
import type {
  DeliveryLimits,
  IncomingRequest,
  OutgoingResponse,
  Route,
} from '../../generated/component/interfaces/omni-channel-webhook.js';
import { type EgressPolicy, send } from './egress.js';
import { PluginFailure } from './failure.js';
import { ComponentPool, type PoolStats } from './pool.js';
import type { CallHost, CallLimits, CallOutcome } from './process.js';
import type { ExportName, WitResult } from './protocol.js';

export type { EgressPolicy } from './egress.js';
export { PluginFailure, type PluginFailureKind } from './failure.js';
export type { WitResult } from './protocol.js';
export type * as Wit from './wit.js';

/** A typed outcome: the export's value, or its WIT error. */
export type Result<T, E> = { ok: true; value: T } | { ok: false; error: E };

/** What one call may touch. */
export interface CallCapabilities {
  /** Network access; without it every request is refused. */
  egress?: EgressPolicy;
  /** Where published events go; without it publishing is refused. */
  publish?: (events: Event[], signal: AbortSignal) => Promise<WitResult<undefined, PublishError>>;
  /** Where the component's log lines go. */
  log(level: string, message: string): void;
  /** Links to received files that omni can fetch; without it the component gives none. */
  mediaLink?(instanceId: string, mediaId: string): string | undefined;
}

export interface RuntimeOptions {
  /** The jco-generated component module (default: the package's own, from its build). */
  component?: string;
  /** Processes serving webhooks. */
  inboundProcesses?: number;
  /** Processes serving everything else (sends, media, connect, decoding). */
  outboundProcesses?: number;
  /** Calls that may wait for a process, per lane. */
  maxWaiting?: number;
  /** Memory of one instance (media calls hold whole files). */
  memoryLimitBytes?: number;
  /** Guest computation per call, and per media call. */
  guestBudgetMs?: number;
  mediaGuestBudgetMs?: number;
  /** Bound on a whole call, imports included. */
  wallLimitMs?: number;
  /** Where a component process's own stderr goes. */
  onProcessOutput?(line: string): void;
}

/** HTTP requests one call may make (a component looping on requests is cut off). */
const MAX_HTTP_REQUESTS_PER_CALL = 16;

/** The file beside this one with the same extension: `.ts` under Bun, `.js` under Node. */
function sibling(name: string): string {
  const extension = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return fileURLToPath(new URL(`./${name}${extension}`, import.meta.url));
}

const DEFAULT_COMPONENT = fileURLToPath(new URL('../../generated/component/whatsapp_cloud_plugin.js', import.meta.url));

export class ComponentRuntime {
  private readonly inbound: ComponentPool;
  private readonly outbound: ComponentPool;
  private readonly limits: { call: CallLimits; media: CallLimits };

  private constructor(options: RuntimeOptions) {
    const spec = {
      script: sibling('component-process'),
      component: options.component ?? DEFAULT_COMPONENT,
      memoryLimit: options.memoryLimitBytes ?? 256 * 1024 * 1024,
      onStderr: options.onProcessOutput ?? ((line: string) => process.stderr.write(`[whatsapp-cloud component] ${line}\n`)),
    };
    const maxWaiting = options.maxWaiting ?? 256;
    this.inbound = new ComponentPool(spec, { size: options.inboundProcesses ?? 2, maxWaiting });
    this.outbound = new ComponentPool(spec, { size: options.outboundProcesses ?? 4, maxWaiting });
    const wallMs = options.wallLimitMs ?? 120_000;
    this.limits = {
      call: { guestMs: options.guestBudgetMs ?? 2_000, wallMs },
      media: { guestMs: options.mediaGuestBudgetMs ?? 30_000, wallMs },
    };
  }

  /** Starts the runtime: one process per lane is ready when this resolves. */
  static async start(options: RuntimeOptions = {}): Promise<ComponentRuntime> {
    const runtime = new ComponentRuntime(options);
    try {
      await Promise.all([runtime.inbound.warm(), runtime.outbound.warm()]);
    } catch (error) {
      runtime.close();
      throw error;
    }
    return runtime;
  }

  /** Stops every component process. */
  close(): void {
    this.inbound.close();
    this.outbound.close();
  }

  get stats(): { inbound: PoolStats; outbound: PoolStats } {
    return { inbound: this.inbound.stats, outbound: this.outbound.stats };
  }

  info(): Promise<PluginInfo> {
    return this.value('plugin.info', [], none());
  }

  configSchema(): Promise<string> {
    return this.value('plugin.configSchema', [], none());
  }

  validateConfig(config: string): Promise<Result<ValidatedConfig, ConfigProblem[]>> {
    return this.result('plugin.validateConfig', [config], none(), this.outbound);
  }

  connect(caps: CallCapabilities, instance: Instance, options: ConnectOptions): Promise<Result<ConnectionInfo, ChannelError>> {
    return this.result('plugin.connect', [instance, options], caps, this.outbound);
  }

  handleWebhook(
    caps: CallCapabilities,
    receiver: Instance,
    routes: Route[],
    request: IncomingRequest,
    limits: DeliveryLimits,
  ): Promise<OutgoingResponse> {
    return this.value('webhook.handleWebhook', [receiver, routes, request, limits], caps);
  }

  decodeOutgoing(message: string, attachments: Attachment[]): Promise<Result<DecodedMessage, InvalidField>> {
    const media = attachments.length > 0 || message.length > 1 << 20;
    return this.result('messaging.decodeOutgoing', [message, attachments], none(), this.outbound, media);
  }

  sendMessage(
    caps: CallCapabilities,
    instance: Instance,
    message: OutgoingMessage,
    options: SendOptions,
  ): Promise<Result<SendReceipt, ChannelError>> {
    return this.result('messaging.sendMessage', [instance, message, options], caps, this.outbound, carriesFile(message));
  }

  reportSendFailure(
    caps: CallCapabilities,
    instance: Instance,
    message: OutgoingMessage,
    options: SendOptions,
    error: ChannelError,
  ): Promise<Result<undefined, PublishError>> {
    return this.result('messaging.reportSendFailure', [instance, message, options, error], caps, this.outbound);
  }

  markRead(caps: CallCapabilities, instance: Instance, messageId: string, showTyping: boolean): Promise<Result<undefined, ChannelError>> {
    return this.result('messaging.markRead', [instance, messageId, showTyping], caps, this.outbound);
  }

  uploadMedia(caps: CallCapabilities, instance: Instance, upload: MediaUpload): Promise<Result<string, ChannelError>> {
    return this.result('media.uploadMedia', [instance, upload], caps, this.outbound, true);
  }

  downloadMedia(caps: CallCapabilities, instance: Instance, mediaId: string): Promise<Result<DownloadedMedia, ChannelError>> {
    return this.result('media.downloadMedia', [instance, mediaId], caps, this.outbound, true);
  }

  blockUsers(caps: CallCapabilities, instance: Instance, users: string[], block: boolean): Promise<Result<BlockOutcome, ChannelError>> {
    return this.result('account.blockUsers', [instance, users, block], caps, this.outbound);
  }

  getBusinessProfile(caps: CallCapabilities, instance: Instance): Promise<Result<BusinessProfile, ChannelError>> {
    return this.result('account.getBusinessProfile', [instance], caps, this.outbound);
  }

  updateBusinessProfile(caps: CallCapabilities, instance: Instance, update: ProfileUpdate): Promise<Result<undefined, ChannelError>> {
    return this.result('account.updateBusinessProfile', [instance, update], caps, this.outbound);
  }

  /** An export without a WIT result: its value (webhooks run on their own lane). */
  private async value<T>(name: ExportName, args: unknown[], caps: CallCapabilities): Promise<T> {
    const outcome = await this.run(name, args, caps, this.inbound, false);
    if (!outcome.ok) throw new PluginFailure('trap', `${name} returned an error it does not declare`);
    return outcome.value as T;
  }

  /** An export with a WIT result. */
  private async result<T, E>(
    name: ExportName,
    args: unknown[],
    caps: CallCapabilities,
    pool: ComponentPool,
    media = false,
  ): Promise<Result<T, E>> {
    const outcome = await this.run(name, args, caps, pool, media);
    return outcome.ok ? { ok: true, value: outcome.value as T } : { ok: false, error: outcome.error as E };
  }

  private run(name: ExportName, args: unknown[], caps: CallCapabilities, pool: ComponentPool, media: boolean): Promise<CallOutcome> {
    return pool.run(name, args, callHost(caps), media ? this.limits.media : this.limits.call);
  }
}

/** No capability at all (info, schema, validation, decoding). */
function none(): CallCapabilities {
  return { log: () => {} };
}

/** The imports of one call, from its capabilities. */
function callHost(caps: CallCapabilities): CallHost {
  let requests = 0;
  return {
    async http(request, signal) {
      requests++;
      if (requests > MAX_HTTP_REQUESTS_PER_CALL) {
        return { tag: 'err', val: { tag: 'other', val: `a call may make at most ${MAX_HTTP_REQUESTS_PER_CALL} requests` } };
      }
      if (!caps.egress) return { tag: 'err', val: { tag: 'destination-not-allowed', val: 'this call has no network access' } };
      return send(request as Parameters<typeof send>[0], caps.egress, signal);
    },
    async publish(events, signal) {
      if (!caps.publish) return { tag: 'err', val: { tag: 'rejected', val: 'this call may not publish events' } };
      return caps.publish(events as Event[], signal);
    },
    log: (level, message) => caps.log(level, message),
    mediaLink: (instanceId, mediaId) => caps.mediaLink?.(instanceId, mediaId),
  };
}

/** Whether a message holds a file the component uploads (the call then moves the whole file). */
function carriesFile(message: OutgoingMessage): boolean {
  const bytes = (source: { tag: string }) => source.tag === 'bytes';
  const content = message.content;
  switch (content.tag) {
    case 'media':
      return bytes(content.val.source);
    case 'interactive': {
      const cards = content.val.action.tag === 'carousel' ? content.val.action.val : [];
      return (content.val.header?.tag === 'media' && bytes(content.val.header.val.source)) || cards.some((card) => bytes(card.header.source));
    }
    case 'template': {
      const inline = (parameters: TemplateParameter[]) =>
        parameters.some((p) => p.value.tag === 'media' && bytes(p.value.val.source));
      return content.val.components.some((c) => {
        switch (c.tag) {
          case 'header':
          case 'body':
            return inline(c.val);
          case 'button':
            return inline(c.val.parameters);
          case 'carousel':
            return c.val.some((card) => inline(card.header) || inline(card.body) || card.buttons.some((b) => inline(b.parameters)));
          case 'limited-time-offer':
            return false;
        }
      });
    }
    default:
      return false;
  }
}
