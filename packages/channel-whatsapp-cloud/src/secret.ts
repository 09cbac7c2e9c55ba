/**
 * The plugin's one secret, from which it derives the key that encrypts the instances' stored
 * settings and the key that signs media links.
 *
 * From `WHATSAPP_CLOUD_SECRET` (at least 32 bytes) when omni's environment sets it — what
 * several omni replicas behind one load balancer need, so that each reads the others' settings
 * and links. Otherwise generated once and kept in a file of its own beside omni's data
 * (`{data}/whatsapp-cloud/secret.key`, mode 0600), never in omni's database: a copy of the
 * database alone does not reveal an instance's access token or app secret.
 */

import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export const SECRET_ENV = 'WHATSAPP_CLOUD_SECRET';
const MIN_SECRET_BYTES = 32;

export interface PluginSecret {
  bytes: Buffer;
  /** Where it came from, for the log: the environment, or the file. */
  source: string;
}

/** The secret: the environment's, else the key file's (created when missing). */
export function loadSecret(env: NodeJS.ProcessEnv, keyFile: string): PluginSecret {
  const fromEnv = env[SECRET_ENV];
  if (fromEnv !== undefined && fromEnv !== '') {
    const bytes = Buffer.from(fromEnv, 'utf8');
    if (bytes.length < MIN_SECRET_BYTES) {
      throw new Error(`${SECRET_ENV} must be at least ${MIN_SECRET_BYTES} bytes (try: openssl rand -base64 48)`);
    }
    return { bytes, source: SECRET_ENV };
  }
  if (!existsSync(keyFile)) {
    mkdirSync(dirname(keyFile), { recursive: true, mode: 0o700 });
    // `wx`: two processes starting at once never overwrite each other's key.
    try {
      writeFileSync(keyFile, randomBytes(48).toString('base64'), { flag: 'wx', mode: 0o600 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  chmodSync(keyFile, 0o600);
  const bytes = Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'utf8');
  if (bytes.length < MIN_SECRET_BYTES) throw new Error(`the key file ${keyFile} holds fewer than ${MIN_SECRET_BYTES} bytes`);
  return { bytes, source: keyFile };
}

/** Where the key file lives: beside omni's media storage (`./data/media` → `./data/whatsapp-cloud`). */
export function defaultKeyFile(mediaStoragePath: string | undefined): string {
  const data = mediaStoragePath ? dirname(resolve(mediaStoragePath)) : resolve('data');
  return join(data, 'whatsapp-cloud', 'secret.key');
}
