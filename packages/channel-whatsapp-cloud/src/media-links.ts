/**
 * Links to received media: the component puts them in `content.mediaUrl` (and
 * `media.received.url`), so omni's media pipeline fetches the file without Meta's token, and the
 * plugin answers them on its webhook route (`{webhookBaseUrl}/whatsapp-cloud/media/{instance}/{id}`),
 * downloading the file through the component, which checks Meta's size and SHA-256. A link is
 * the plugin's own promise: valid until its expiry, HMAC-SHA256-signed with a key only this
 * plugin holds (random per process unless omni's replicas share one).
 */

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

import { WEBHOOK_SEGMENT } from './webhook.js';

/** The path segment of media links, under the webhook route. */
export const MEDIA_SEGMENT = 'media';

const PATH_SAFE = /^[A-Za-z0-9._-]{1,128}$/;

/** Why a link is refused. */
export type LinkRefusal = 'forged' | 'expired';

export class MediaLinks {
  private readonly key: Buffer;

  constructor(
    /** omni's webhook base (its `webhookBaseUrl`, served at `/webhooks`): links are
     * `{base}/whatsapp-cloud/media/...`, on the plugin's own webhook route. */
    private readonly baseUrl: string,
    private readonly ttlMs: number,
    key?: string | Buffer,
  ) {
    if (key !== undefined && Buffer.byteLength(key) < 16) throw new Error('the media link secret needs at least 16 bytes');
    this.key = key === undefined ? randomBytes(32) : Buffer.from(key);
  }

  /** A link to `mediaId` received by `instanceId`, or `undefined` for ids unfit for a path. */
  link(instanceId: string, mediaId: string, now = Date.now()): string | undefined {
    if (!PATH_SAFE.test(instanceId) || !PATH_SAFE.test(mediaId)) return undefined;
    const expires = Math.floor((now + this.ttlMs) / 1000);
    const base = this.baseUrl.replace(/\/+$/, '');
    return `${base}/${WEBHOOK_SEGMENT}/${MEDIA_SEGMENT}/${instanceId}/${mediaId}?expires=${expires}&signature=${this.sign(instanceId, mediaId, expires)}`;
  }

  /** Checks a link's `expires` and `signature` (in constant time). */
  verify(instanceId: string, mediaId: string, expires: string | null, signature: string | null, now = Date.now()): LinkRefusal | undefined {
    if (!expires || !/^\d{1,12}$/.test(expires) || !signature || !/^[0-9a-f]{64}$/.test(signature)) return 'forged';
    const expected = Buffer.from(this.sign(instanceId, mediaId, Number(expires)), 'hex');
    if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) return 'forged';
    return now / 1000 > Number(expires) ? 'expired' : undefined;
  }

  private sign(instanceId: string, mediaId: string, expires: number): string {
    return createHmac('sha256', this.key).update(`${instanceId}/${mediaId}/${expires}`).digest('hex');
  }
}

/** The instance and media id of a media link's path, if it is one. */
export function mediaPath(url: URL): { instanceId: string; mediaId: string } | undefined {
  const segments = url.pathname.split('/').filter(Boolean);
  const at = segments.lastIndexOf(WEBHOOK_SEGMENT);
  if (at < 0 || segments[at + 1] !== MEDIA_SEGMENT || segments.length !== at + 4) return undefined;
  return { instanceId: segments[at + 2] as string, mediaId: segments[at + 3] as string };
}
