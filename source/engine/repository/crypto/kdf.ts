/**
 * Deriving the key that wraps a repository's master key from a password:
 * scrypt with the parameters stored in the key file. A key file is read
 * from storage nobody vouches for, so its parameters are bounded before they
 * are used: a hostile file must not make us allocate gigabytes or run for hours.
 */
import {scrypt} from 'node:crypto';
import {KEY_BYTES} from './aead.js';

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/**
 * What new key files use: 2^15 x 8 is 32 MiB and ~0.1 s on one core here
 * (restic's own default), enough to make guessing expensive offline.
 * BACKHAUL_SCRYPT_N lowers or raises N for one run (tests; slow machines).
 */
export function defaultScryptParams(): ScryptParams {
  const fromEnv = Number(process.env.BACKHAUL_SCRYPT_N);
  // Never below 2^10: a knob for tests, not a way to make a key file cheap to attack.
  const N = Number.isInteger(fromEnv) && fromEnv >= 2 ** 10 && isPowerOfTwo(fromEnv) ? fromEnv : 2 ** 15;
  return {N, r: 8, p: 1};
}

const MAX_MEMORY = 1024 * 1024 * 1024;

function isPowerOfTwo(n: number): boolean {
  return n > 1 && (n & (n - 1)) === 0;
}

/** True when the parameters are ones a reader may run: N a power of two, memory at most 1 GiB, p at most 16. */
export function acceptableParams(params: ScryptParams): boolean {
  const {N, r, p} = params;
  if (![N, r, p].every(v => Number.isSafeInteger(v) && v > 0)) return false;
  return isPowerOfTwo(N) && N <= 2 ** 24 && r <= 64 && p <= 16 && 128 * N * r <= MAX_MEMORY;
}

export function deriveKey(password: string, salt: Uint8Array, params: ScryptParams): Promise<Buffer> {
  const {N, r, p} = params;
  return new Promise((resolve, reject) => {
    scrypt(
      password.normalize('NFC'),
      salt,
      KEY_BYTES,
      {N, r, p, maxmem: 128 * N * r * (p + 1) + 1024 * 1024},
      (error, key) => {
        if (error) reject(error);
        else resolve(key);
      },
    );
  });
}
