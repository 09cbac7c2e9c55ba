/**
 * Each connected instance's settings, kept in omni's `PluginStorage` (a PostgreSQL table in
 * omni), encrypted: omni reconnects its instances at start-up and from its monitor with empty
 * settings, and the plugin answers those reconnects with what it kept.
 *
 * AES-256-GCM under a key derived from the plugin's secret (see `secret.ts`), a fresh nonce per
 * write, the instance id as associated data so that one instance's record cannot be passed off
 * as another's. A record that does not decrypt (another secret, tampering) reads as absent and is
 * logged: the instance then needs its settings again, which is better than trusting it.
 */

import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

import type { PluginStorage } from '@omni/channel-sdk';

import type { InstanceSettings } from './config.js';

const VERSION = 'v1';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** A key derived from the plugin's secret for one purpose. */
export function deriveKey(secret: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), `omni-whatsapp-cloud/${purpose}`, 32));
}

export class SettingsStore {
  private readonly key: Buffer;

  constructor(
    private readonly storage: PluginStorage,
    secret: Buffer,
    private readonly onUnreadable: (instanceId: string, reason: string) => void = () => {},
  ) {
    this.key = deriveKey(secret, 'instance-settings');
  }

  async save(instanceId: string, settings: InstanceSettings): Promise<void> {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    cipher.setAAD(Buffer.from(instanceId, 'utf8'));
    const sealed = Buffer.concat([cipher.update(JSON.stringify(settings), 'utf8'), cipher.final(), cipher.getAuthTag()]);
    await this.storage.set(storageKey(instanceId), `${VERSION}.${nonce.toString('base64url')}.${sealed.toString('base64url')}`);
  }

  async load(instanceId: string): Promise<InstanceSettings | undefined> {
    const record = await this.storage.get<string>(storageKey(instanceId));
    if (record === null || record === undefined) return undefined;
    const [version, nonce, sealed] = typeof record === 'string' ? record.split('.') : [];
    if (version !== VERSION || !nonce || !sealed) {
      this.onUnreadable(instanceId, 'not a settings record of this plugin');
      return undefined;
    }
    try {
      const bytes = Buffer.from(sealed, 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(nonce, 'base64url'));
      decipher.setAAD(Buffer.from(instanceId, 'utf8'));
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      const plain = Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - TAG_BYTES)), decipher.final()]);
      return JSON.parse(plain.toString('utf8')) as InstanceSettings;
    } catch {
      this.onUnreadable(instanceId, 'it does not decrypt with this secret (another WHATSAPP_CLOUD_SECRET, or altered)');
      return undefined;
    }
  }

  async forget(instanceId: string): Promise<void> {
    await this.storage.delete(storageKey(instanceId));
  }
}

function storageKey(instanceId: string): string {
  return `settings:${instanceId}`;
}
