/**
 * A repository's master key material: a 32-byte AES-256-GCM key for every
 * object and blob, and a 32-byte HMAC-SHA256 key for chunk ids. It is made
 * once, when the repository is created, and only ever stored wrapped (key
 * files, keys.ts); two repositories share it only through `--copy-key`.
 */
import {createHash, randomBytes} from 'node:crypto';
import {KEY_BYTES} from './aead.js';

export interface MasterKey {
  readonly encryption: Buffer;
  readonly mac: Buffer;
}

export const MASTER_KEY_BYTES = 2 * KEY_BYTES;

export function newMasterKey(): MasterKey {
  return {encryption: randomBytes(KEY_BYTES), mac: randomBytes(KEY_BYTES)};
}

/** The 64 bytes a key file wraps: encryption key, then MAC key. */
export function masterKeyBytes(key: MasterKey): Buffer {
  return Buffer.concat([key.encryption, key.mac]);
}

export function masterKeyFrom(bytes: Uint8Array): MasterKey | undefined {
  if (bytes.length !== MASTER_KEY_BYTES) return undefined;
  return {encryption: Buffer.from(bytes.subarray(0, KEY_BYTES)), mac: Buffer.from(bytes.subarray(KEY_BYTES))};
}

/**
 * A name for the key material that reveals nothing of it (a hash of both keys
 * under a label): two repositories whose codecs have the same identity can
 * pass packs through a copy unchanged.
 */
export function masterKeyIdentity(key: MasterKey): string {
  return createHash('sha256')
    .update('backhaul master key identity v2\0')
    .update(key.encryption)
    .update(key.mac)
    .digest('hex');
}
