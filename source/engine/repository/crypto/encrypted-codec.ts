/**
 * The codec of an encrypted repository (FORMAT.md, "Encryption"): every
 * object is stored as nonce(12) || AES-256-GCM(JSON bytes) || tag(16) with its
 * storage key as additional data, so an object moved to another key fails to
 * open; every blob is stored as nonce || AES-256-GCM(encoded blob) || tag; chunk
 * ids are HMAC-SHA256(MAC key, plaintext), so equal ids across repositories
 * with different keys mean nothing, and an id reveals nothing of the content.
 *
 * Guarantees: nothing is returned from a read that did not authenticate; a
 * failed tag is 'corrupt' (exit 12) naming the object or blob.
 */
import {createHmac} from 'node:crypto';
import {corrupt} from '../../errors.js';
import type {ChunkId} from '../../ids.js';
import type {ObjectCodec} from '../codec.js';
import {open, seal} from './aead.js';
import {masterKeyIdentity, type MasterKey} from './master-key.js';

/** The worker-message form of an encrypted codec (structured-cloneable). */
export interface EncryptedCodecParams {
  kind: 'encrypted';
  encryption: Uint8Array;
  mac: Uint8Array;
}

const failed = (what: string) =>
  corrupt(
    `${what} fails authentication: it was damaged, or not written with this repository's key.`,
    'Run `backhaul verify` to see every damaged restore point; a copy of the repository may still hold it intact.',
  );

export class EncryptedCodec implements ObjectCodec {
  readonly encrypted = true;
  readonly keyIdentity: string;

  /** `keyId`: the key file that opened it (diagnostics, `repo key rm` refusing the key in use). */
  constructor(
    private readonly master: MasterKey,
    readonly keyId = '',
  ) {
    this.keyIdentity = masterKeyIdentity(master);
  }

  static fromParams(params: EncryptedCodecParams): EncryptedCodec {
    return new EncryptedCodec({encryption: Buffer.from(params.encryption), mac: Buffer.from(params.mac)});
  }

  sameKeyAs(other: {encrypted: boolean; keyIdentity: string}): boolean {
    return other.encrypted && other.keyIdentity === this.keyIdentity;
  }

  sealObject(key: string, plaintext: Buffer): Buffer {
    return seal(this.master.encryption, plaintext, Buffer.from(key, 'utf8'));
  }

  openObject(key: string, stored: Buffer): Buffer {
    const plaintext = open(this.master.encryption, stored, Buffer.from(key, 'utf8'));
    if (!plaintext) throw failed(`Object ${key}`);
    return plaintext;
  }

  chunkId(plaintext: Uint8Array): ChunkId {
    return createHmac('sha256', this.master.mac).update(plaintext).digest('hex') as ChunkId;
  }

  sealBlob(encoded: Buffer): Buffer {
    return seal(this.master.encryption, encoded);
  }

  openBlob(stored: Buffer, where: string): Buffer {
    const encoded = open(this.master.encryption, stored);
    if (!encoded) throw failed(where);
    return encoded;
  }

  params(): EncryptedCodecParams {
    return {
      kind: 'encrypted',
      encryption: new Uint8Array(this.master.encryption),
      mac: new Uint8Array(this.master.mac),
    };
  }
}
