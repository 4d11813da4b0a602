/**
 * Key files: `keys/<key id>` in an encrypted repository, each holding the
 * master key material wrapped under a key that scrypt derives from one
 * password. Several may exist (one per password); adding a password writes a
 * new file, changing one writes the new file and only then deletes the old,
 * so a crash in between leaves both passwords working, never none.
 *
 * A key file is plaintext JSON (it must be read before any key is known):
 *   {"format": 2, "kdf": "scrypt", "N", "r", "p", "salt": base64 (32 B),
 *    "cipher": "aes-256-gcm", "data": base64(nonce(12) || AES-256-GCM(64 B) || tag(16)),
 *    "createdAt": ISO time}
 * with the additional data `backhaul key v2`. Its id is the SHA-256 of its
 * bytes (hex), so a damaged file is told apart from a wrong password.
 *
 * Guarantees: a wrong password is refused with 'denied' (exit 15) before
 * anything is written; nothing here stores a password or an unwrapped key.
 */
import {createHash, randomBytes} from 'node:crypto';
import {BackhaulError, corrupt, quoted} from '../../errors.js';
import type {ReadableStorage, Storage} from '../../storage/storage.js';
import {open, seal} from './aead.js';
import {acceptableParams, defaultScryptParams, deriveKey, type ScryptParams} from './kdf.js';
import {masterKeyBytes, masterKeyFrom, type MasterKey} from './master-key.js';

export const KEYS_PREFIX = 'keys/';
const SALT_BYTES = 32;
const WRAP_AAD = Buffer.from('backhaul key v2');
const KEY_ID = /^[0-9a-f]{64}$/;

interface KeyFile extends ScryptParams {
  format: 2;
  kdf: 'scrypt';
  salt: string;
  cipher: 'aes-256-gcm';
  data: string;
  createdAt: string;
}

export interface KeyInfo {
  id: string;
  createdAt: string;
}

/** An opened key: which file the password opened, and the material it holds. */
export interface OpenedKey {
  id: string;
  master: MasterKey;
}

export const wrongPassword = (location: string) =>
  new BackhaulError(
    'denied',
    `The password does not open repository ${location}.`,
    'Check the password (--password-file FILE, BACKHAUL_PASSWORD, or the prompt); nothing was read or written.',
  );

export const noKeys = (location: string) =>
  corrupt(
    `Repository ${location} is encrypted but holds no key file.`,
    'Restore its keys/ directory from a copy; without a key its data cannot be read.',
  );

function keyIdOf(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Writes a key file wrapping `master` under `password`; returns its id. */
export async function addKey(
  storage: Storage,
  master: MasterKey,
  password: string,
  params = defaultScryptParams(),
): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const wrapping = await deriveKey(password, salt, params);
  const file: KeyFile = {
    format: 2,
    kdf: 'scrypt',
    N: params.N,
    r: params.r,
    p: params.p,
    salt: salt.toString('base64'),
    cipher: 'aes-256-gcm',
    data: seal(wrapping, masterKeyBytes(master), WRAP_AAD).toString('base64'),
    createdAt: new Date().toISOString(),
  };
  const bytes = Buffer.from(`${JSON.stringify(file)}\n`);
  const id = keyIdOf(bytes);
  await storage.putIfAbsent(`${KEYS_PREFIX}${id}`, bytes);
  return id;
}

/** The ids of the key files, sorted. */
export async function keyIds(storage: ReadableStorage): Promise<string[]> {
  const ids: string[] = [];
  for await (const info of storage.list(KEYS_PREFIX)) {
    const id = info.key.slice(KEYS_PREFIX.length);
    if (KEY_ID.test(id)) ids.push(id);
  }
  return ids.sort();
}

function parseKeyFile(bytes: Buffer, id: string, location: string): KeyFile {
  const damaged = () =>
    corrupt(
      `Key file keys/${id.slice(0, 12)} of ${location} is damaged.`,
      'Open the repository with another password, then remove this key (`backhaul repo key rm`).',
    );
  if (keyIdOf(bytes) !== id) throw damaged();
  let file: KeyFile;
  try {
    file = JSON.parse(bytes.toString('utf8')) as KeyFile;
  } catch {
    throw damaged();
  }
  if (
    typeof file !== 'object' ||
    file === null ||
    file.format !== 2 ||
    file.kdf !== 'scrypt' ||
    file.cipher !== 'aes-256-gcm' ||
    typeof file.salt !== 'string' ||
    typeof file.data !== 'string' ||
    typeof file.createdAt !== 'string'
  ) {
    throw new BackhaulError(
      'format',
      `Key file keys/${id.slice(0, 12)} of ${location} is of a kind this Backhaul does not know.`,
      'Upgrade Backhaul to read it; nothing was changed.',
    );
  }
  if (!acceptableParams(file)) throw damaged();
  return file;
}

async function readKeyFile(storage: ReadableStorage, id: string, location: string): Promise<KeyFile> {
  return parseKeyFile(await storage.get(`${KEYS_PREFIX}${id}`), id, location);
}

async function unwrap(file: KeyFile, password: string): Promise<MasterKey | undefined> {
  const wrapping = await deriveKey(password, Buffer.from(file.salt, 'base64'), file);
  const bytes = open(wrapping, Buffer.from(file.data, 'base64'), WRAP_AAD);
  return bytes ? masterKeyFrom(bytes) : undefined;
}

/**
 * Opens the master key with `password`, trying each key file (one per
 * password) in turn. Damaged key files are skipped while another may open;
 * if none does, a wrong password is 'denied', and a repository whose only
 * key files are damaged is 'corrupt'.
 */
export async function openKey(
  storage: ReadableStorage,
  password: string,
  location = storage.location,
): Promise<OpenedKey> {
  const ids = await keyIds(storage);
  if (ids.length === 0) throw noKeys(location);
  let damage: BackhaulError | undefined;
  let readable = 0;
  for (const id of ids) {
    let file: KeyFile;
    try {
      file = await readKeyFile(storage, id, location);
    } catch (e) {
      if (e instanceof BackhaulError && (e.code === 'corrupt' || e.code === 'format' || e.code === 'not-found')) {
        damage ??= e;
        continue;
      }
      throw e;
    }
    readable++;
    const master = await unwrap(file, password);
    if (master) return {id, master};
  }
  throw readable === 0 && damage ? damage : wrongPassword(location);
}

export async function listKeys(storage: ReadableStorage, location = storage.location): Promise<KeyInfo[]> {
  const infos: KeyInfo[] = [];
  for (const id of await keyIds(storage)) {
    try {
      infos.push({id, createdAt: (await readKeyFile(storage, id, location)).createdAt});
    } catch (e) {
      if (!(e instanceof BackhaulError)) throw e;
      infos.push({id, createdAt: ''});
    }
  }
  return infos;
}

/**
 * Removes key file `id` (a unique prefix of at least 8 hex digits will do).
 * Refuses to remove the key `current` (the one that opened the repository
 * for this run) and the last key: either would lock everyone out.
 */
export async function removeKey(
  storage: Storage,
  idOrPrefix: string,
  current: string,
  location = storage.location,
): Promise<string> {
  const ids = await keyIds(storage);
  const matches = /^[0-9a-f]{8,64}$/.test(idOrPrefix) ? ids.filter(id => id.startsWith(idOrPrefix)) : [];
  if (matches.length !== 1) {
    throw new BackhaulError(
      'not-found',
      `${matches.length === 0 ? 'No' : 'More than one'} key of ${location} matches ${quoted(idOrPrefix)}.`,
      'Run `backhaul repo key list NAME` to see the key ids.',
    );
  }
  const [id] = matches as [string];
  if (id === current)
    throw new BackhaulError(
      'usage',
      `Key ${id.slice(0, 12)} is the one this password opened; removing it would lock this password out.`,
      'Open the repository with another password to remove this key, or use `backhaul repo passwd` to change it.',
    );
  if (ids.length === 1)
    throw new BackhaulError(
      'usage',
      `Key ${id.slice(0, 12)} is the last key of ${location}.`,
      'Add another key first; without one the data cannot be read.',
    );
  await storage.delete(`${KEYS_PREFIX}${id}`);
  return id;
}

/**
 * Changes the password of key `opened`: writes a key file wrapping the same
 * material under `password`, then deletes the old one (a crash in between
 * leaves both passwords working). Returns the new key id.
 */
export async function changePassword(
  storage: Storage,
  opened: OpenedKey,
  password: string,
  params = defaultScryptParams(),
): Promise<string> {
  const id = await addKey(storage, opened.master, password, params);
  if (id !== opened.id) await storage.delete(`${KEYS_PREFIX}${opened.id}`);
  return id;
}
