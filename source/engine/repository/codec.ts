/**
 * The seam between the repository and what its stored bytes look like: every
 * object the repository stores as JSON (backup records, point manifests,
 * catalogue segments, index files, pack trailers, the access policy, audit
 * entries) and every blob in a pack goes through the repository's codec on
 * its way to and from storage, and every chunk id is computed by it.
 *
 * A plain repository's codec (PLAIN_CODEC) changes nothing: objects are
 * stored as their JSON bytes, blobs as encoded (raw/deflate/zstd), chunk ids
 * are SHA-256 of the plaintext. An encrypted repository's codec (FORMAT.md,
 * "Encryption") seals objects with their storage key as additional data,
 * seals blobs, and keys chunk ids; it is chosen by `openCodec` from the
 * config's `encryption` field. What stays outside any codec: `config` (read
 * before any key) and `locks/` (other writers must judge them).
 *
 * Guarantees: `openObject(key, sealObject(key, x))` is `x`; `openObject`
 * refuses (corrupt) bytes that were not sealed for that key by the same key
 * material; `chunkId` is a pure function of the plaintext and the key
 * material; two codecs for which `sameKeyAs` holds produce interchangeable
 * stored bytes, so a copy may pass packs and blobs through unchanged.
 */
import {createHash} from 'node:crypto';
import {BackhaulError} from '../errors.js';
import type {ChunkId} from '../ids.js';
import type {ReadableStorage} from '../storage/storage.js';
import {EncryptedCodec, type EncryptedCodecParams} from './crypto/encrypted-codec.js';
import {openKey} from './crypto/keys.js';

/**
 * Content-addressed objects are named by the hash of their stored (sealed)
 * bytes, so they cannot be sealed under their own key: pack trailers are
 * sealed under TRAILER_KEY and index files under INDEX_KEY.
 */
export const TRAILER_KEY = 'data/trailer';
export const INDEX_KEY = 'index/';

export interface ObjectCodec {
  /** Whether stored bytes are encrypted (and chunk ids keyed). */
  readonly encrypted: boolean;
  /**
   * A name for the key material, never the material itself ("plain" for a
   * plain repository): what `sameKeyAs` compares, shown in diagnostics.
   */
  readonly keyIdentity: string;
  /** True when `other` stores the same plaintext as the same bytes under the same ids (plain and plain; the same master key). */
  sameKeyAs(other: ObjectCodec): boolean;
  /** The bytes to store under `key` for a JSON object's bytes. */
  sealObject(key: string, plaintext: Buffer): Buffer;
  /** The JSON bytes of an object read from `key`; throws `corrupt` naming `key` if it does not open. */
  openObject(key: string, stored: Buffer): Buffer;
  /** A chunk's id: SHA-256 (plain) or a keyed MAC (encrypted) of its plaintext. */
  chunkId(plaintext: Uint8Array): ChunkId;
  /** The bytes stored in a pack for an encoded blob (blob.ts's encoding of a chunk). */
  sealBlob(encoded: Buffer): Buffer;
  /** The encoded blob inside stored bytes; throws `corrupt` naming `where` if they do not open. */
  openBlob(stored: Buffer, where: string): Buffer;
  /** What a worker thread needs to build the same codec (codecFromParams): structured-cloneable. */
  params(): CodecParams;
}

/** A codec as a worker message carries it (the encrypted one holds the key material: it never leaves the process). */
export type CodecParams = {kind: 'plain'} | EncryptedCodecParams;

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex') as ChunkId;

/** The codec of a repository without encryption: every operation is the identity, ids are SHA-256. */
export const PLAIN_CODEC: ObjectCodec = Object.freeze({
  encrypted: false,
  keyIdentity: 'plain',
  sameKeyAs: (other: ObjectCodec) => !other.encrypted,
  sealObject: (_key: string, plaintext: Buffer) => plaintext,
  openObject: (_key: string, stored: Buffer) => stored,
  chunkId: sha256,
  sealBlob: (encoded: Buffer) => encoded,
  openBlob: (stored: Buffer) => stored,
  params: (): CodecParams => ({kind: 'plain'}),
});

/** A worker's codec, from the params its main thread sent. */
export function codecFromParams(params: CodecParams): ObjectCodec {
  if (params.kind === 'plain') return PLAIN_CODEC;
  if (params.kind === 'encrypted') return EncryptedCodec.fromParams(params);
  throw new BackhaulError(
    'format',
    `Unknown codec ${JSON.stringify((params as {kind?: unknown}).kind)}.`,
    'This is a bug in Backhaul.',
  );
}

/** Where an encrypted repository's password comes from (a file, an environment variable, a prompt): asked only when needed. */
export type PasswordSource = () => Promise<string>;

export interface CodecOptions {
  password?: PasswordSource;
}

/** The `encryption` field of a config: null for a plain repository. */
export type EncryptionConfig = null | {keyDerivation: 'scrypt'; cipher: 'aes-256-gcm'};

/**
 * The codec a repository opens with, chosen from its config's `encryption`.
 * An encrypted repository's keys are read from `keys/` and unwrapped with the
 * password (the encryption module plugs in here).
 */
export async function openCodec(
  encryption: EncryptionConfig | undefined,
  storage: ReadableStorage,
  options: CodecOptions = {},
): Promise<ObjectCodec> {
  if (encryption === null || encryption === undefined) return PLAIN_CODEC;
  if (typeof encryption !== 'object' || encryption.keyDerivation !== 'scrypt' || encryption.cipher !== 'aes-256-gcm') {
    throw new BackhaulError(
      'format',
      `${storage.location} is encrypted in a way this Backhaul does not know (${JSON.stringify(encryption).slice(0, 80)}).`,
      'Upgrade Backhaul to read it; nothing was changed.',
    );
  }
  if (!options.password) {
    throw new BackhaulError(
      'usage',
      `${storage.location} is encrypted, and no password was given.`,
      'Give --password-file FILE or set BACKHAUL_PASSWORD.',
    );
  }
  const opened = await openKey(storage, await options.password());
  return new EncryptedCodec(opened.master, opened.id);
}

/**
 * Refuses an operation that needs stored bytes to pass through unchanged
 * (repair from a copy) between repositories whose key material differs.
 * A copy does not need it: between keys it re-identifies and re-seals
 * every chunk (copy/rekey.ts, FORMAT.md "Copies between keys").
 */
export function requirePassThrough(
  source: {codec: ObjectCodec; location: string},
  target: {codec: ObjectCodec; location: string},
): void {
  if (source.codec.sameKeyAs(target.codec)) return;
  throw new BackhaulError(
    'usage',
    `${source.location} and ${target.location} do not share their key material (${source.codec.keyIdentity} vs ${target.codec.keyIdentity}); this Backhaul copies only between repositories with the same keys.`,
    'Copy into a repository made with the same keys; nothing was copied.',
  );
}
