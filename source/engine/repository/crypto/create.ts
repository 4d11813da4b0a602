/**
 * Making a new repository encrypted: a key file for the password (wrapping
 * fresh key material, or the material of another repository for a target
 * made with `--copy-key`, so packs pass through copies between the two),
 * written before `config` — `config` is what makes a repository, so one is
 * never visible without a key that opens it. `undo` removes the key file
 * again if `config` turns out to be taken (a repository was there already:
 * it must not gain a key to someone else's material).
 */
import type {Storage} from '../../storage/storage.js';
import {EncryptedCodec} from './encrypted-codec.js';
import {addKey, KEYS_PREFIX} from './keys.js';
import {newMasterKey, type MasterKey} from './master-key.js';

/** What `config.encryption` says of an encrypted repository (FORMAT.md, "Encryption"). */
export const ENCRYPTION_CONFIG = Object.freeze({keyDerivation: 'scrypt', cipher: 'aes-256-gcm'} as const);

export interface NewEncryption {
  password: string;
  /** The key material to use (--copy-key); fresh material when absent. */
  master?: MasterKey;
}

export async function initEncryption(
  storage: Storage,
  options: NewEncryption,
): Promise<{codec: EncryptedCodec; undo: () => Promise<void>}> {
  const master = options.master ?? newMasterKey();
  const keyId = await addKey(storage, master, options.password);
  return {codec: new EncryptedCodec(master, keyId), undo: () => storage.delete(`${KEYS_PREFIX}${keyId}`)};
}
