/**
 * The host runtime (`omni-host`'s, in Rust) as a Node-API addon: the file built for this
 * platform, or the prebuilt package published for it. Its API is typed here; every call
 * crosses as JSON text or bytes.
 */

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch, platform } from 'node:process';

import { generatedFile } from './package-root.js';

/** An HTTP answer from the host: headers as `[name, value, name, value…]`. */
export interface NativeAnswer {
  status: number;
  headers: string[];
  body: Buffer;
}

/** A webhook the host answered on this thread, its events to publish before answering. */
export interface NativeWebhookAttempt {
  readonly events: string;
  settle(outcome: string): NativeAnswer | null;
}

/** The host's limits and capacity, `omni-host`'s by default: memory (MiB) and guest CPU time
 * (ms) a call may use, its wall-clock bound, calls at once by lane, the wait for capacity, send
 * retries. */
export interface NativeRuntimeLimits {
  memoryLimitMib?: number;
  cpuBudgetMs?: number;
  wallLimitMs?: number;
  webhookConcurrency?: number;
  egressConcurrency?: number;
  mediaConcurrency?: number;
  queueTimeoutMs?: number;
  /** Whether small webhooks are first tried on the JavaScript thread (default true). */
  inlineWebhooks?: boolean;
  retryMaxAttempts?: number;
  retryMaxTotalWaitMs?: number;
  /** Where compiled components are kept (default: `omni-host`'s cache directory). */
  cacheDir?: string;
}

/** The options of `Host.load` (the addon's `HostOptions`). */
export interface NativeHostOptions extends NativeRuntimeLimits {
  component: string;
  errorFamily: string;
  mediaLinksUrl: string;
  mediaLinkKey: Buffer;
  mediaLinkTtlSeconds?: number;
  maxWebhookBytes?: number;
  maxEventBytes?: number;
  egress?: string[];
}

export interface NativeHost {
  info(): string;
  configSchema(): string;
  validateConfig(config: string): string;
  putInstance(id: string, config: string, egress: string[] | null): string;
  removeInstance(id: string): boolean;
  webhookReceiver(named: string | null): string | null;
  connect(id: string, subscribeWebhooks: boolean): Promise<string>;
  disconnect(id: string, reason: string): Promise<string | null>;
  webhookInline(instance: string, method: string, path: string, query: string, headers: string[], body: Buffer): NativeAnswer | NativeWebhookAttempt | null;
  handleWebhook(instance: string, method: string, path: string, query: string, headers: string[], body: Buffer): Promise<NativeAnswer>;
  isMediaLink(path: string): boolean;
  media(path: string, expires: string, signature: string): Promise<NativeAnswer>;
  send(id: string, message: string, binaries: Array<{ pointer: string; bytes: Buffer }>): Promise<{ result: string; events: string }>;
  markRead(id: string, messageId: string, typing: boolean): Promise<string | null>;
  blockUsers(id: string, users: string[], block: boolean): Promise<string>;
  businessProfile(id: string): Promise<string>;
  updateBusinessProfile(id: string, update: string): Promise<string | null>;
  callAction(id: string, action: string): Promise<string>;
  groupAction(id: string, action: string): Promise<string>;
  deleteMedia(id: string, mediaId: string): Promise<string | null>;
  stats(): string;
}

export interface NativeModule {
  Host: {
    load(
      options: NativeHostOptions,
      publish: (eventsJson: string) => Promise<string>,
      log: (record: string[]) => void,
    ): NativeHost;
  };
  WebhookAttempt: abstract new (...args: never[]) => NativeWebhookAttempt;
}

/** napi-rs's name for this platform: `linux-x64-gnu`, `darwin-arm64`... */
export function platformName(): string {
  if (platform !== 'linux') return `${platform}-${arch}`;
  // glibc reports its version to `process.report`; musl does not.
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return `linux-${arch}-${report?.header?.glibcVersionRuntime ? 'gnu' : 'musl'}`;
}

/** The file the package's build writes for this platform. */
export function builtAddonPath(): string {
  return generatedFile(`whatsapp-cloud.${platformName()}.node`);
}

let loaded: NativeModule | undefined;

/** The addon for this platform; an error that names the platform and the command that builds it. */
export function loadNative(): NativeModule {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  const built = builtAddonPath();
  const candidates = [built, `@omni/channel-whatsapp-cloud-${platformName()}`];
  const problems: string[] = [];
  for (const candidate of candidates) {
    if (candidate === built && !existsSync(built)) {
      problems.push(`${built}: not built`);
      continue;
    }
    try {
      loaded = require(candidate) as NativeModule;
      return loaded;
    } catch (error) {
      problems.push(`${candidate}: ${String(error)}`);
    }
  }
  throw new Error(
    `the WhatsApp Cloud channel has no runtime for ${platformName()} (${problems.join('; ')}). ` +
      'Build it for this platform with `bun run build` (or `npm run build`) in packages/channel-whatsapp-cloud ' +
      '(it needs the Rust toolchain: https://rustup.rs), or install the prebuilt package ' +
      `@omni/channel-whatsapp-cloud-${platformName()}.`,
  );
}
