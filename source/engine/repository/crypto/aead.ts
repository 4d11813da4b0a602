/**
 * The one envelope of an encrypted repository: nonce(12) || AES-256-GCM
 * ciphertext || tag(16). `seal` draws a fresh random nonce per message; `open`
 * authenticates before it returns a byte, and returns undefined (never a
 * partial plaintext) when the tag, the key or the additional data do not match.
 *
 * Random 96-bit nonces are safe for 2^32 messages per key (NIST SP 800-38D);
 * a repository's objects and blobs stay far below that.
 */
import {createCipheriv, createDecipheriv, randomBytes} from 'node:crypto';

export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;
export const KEY_BYTES = 32;
/** What the envelope adds to a plaintext. */
export const ENVELOPE_OVERHEAD = NONCE_BYTES + TAG_BYTES;

export function seal(key: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Buffer {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce, {authTagLength: TAG_BYTES});
  if (aad) cipher.setAAD(aad);
  const body = cipher.update(plaintext);
  const last = cipher.final();
  return Buffer.concat([nonce, body, last, cipher.getAuthTag()]);
}

/** The plaintext, or undefined when `sealed` is too short or fails authentication. */
export function open(key: Uint8Array, sealed: Uint8Array, aad?: Uint8Array): Buffer | undefined {
  if (sealed.length < ENVELOPE_OVERHEAD) return undefined;
  const nonce = sealed.subarray(0, NONCE_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, nonce, {authTagLength: TAG_BYTES});
  if (aad) decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  try {
    const body = decipher.update(sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES));
    return Buffer.concat([body, decipher.final()]);
  } catch {
    return undefined;
  }
}
