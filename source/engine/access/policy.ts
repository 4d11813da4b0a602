/**
 * The admin policy and the roles it gives. The policy lives inside the
 * repository (storage key `access/policy.json`), so only those who can write
 * the repository can change it; the repository's file modes are the root of
 * trust. Roles are sets of named privileges (as in Proxmox Backup): code asks
 * "may this actor do restore.delegated?", never "is this actor an admin?".
 *
 * NEVER rename a privilege or a role: they appear in audit entries and in
 * scripts that read `--json` output.
 */
import {PLAIN_CODEC, type ObjectCodec} from '../repository/codec.js';
import {corrupt} from '../errors.js';
import type {ReadableStorage, Storage} from '../storage/storage.js';
import type {Actor} from './identity.js';

export const POLICY_KEY = 'access/policy.json';
export const DEFAULT_ADMIN_GROUP = 'backhaul-admins';

export const PRIVILEGES = [
  /** See and restore backups whose access list names you or a group of yours. */
  'backup.read-own',
  /** See and restore every source backup, whatever its access list. */
  'backup.read-all',
  /** See copies (backups with no access list), to restore from them on a user's behalf. */
  'copy.read',
  /** Run backup copy jobs into a repository. */
  'copy.run',
  /** Restore from any visible backup on behalf of another user (always audited). */
  'restore.delegated',
  /** Read and verify the audit log. */
  'audit.read',
  /** Grant or revoke a user's access to a backup (re-grant on copies). */
  'access.grant',
  /** Change who is an admin or an operator. */
  'policy.change',
] as const;
export type Privilege = (typeof PRIVILEGES)[number];

export type Role = 'admin' | 'operator' | 'user';

const USER: readonly Privilege[] = ['backup.read-own'];
const OPERATOR: readonly Privilege[] = [...USER, 'copy.read', 'restore.delegated', 'audit.read'];
const ADMIN: readonly Privilege[] = [...OPERATOR, 'backup.read-all', 'copy.run', 'access.grant', 'policy.change'];

export const ROLE_PRIVILEGES: Readonly<Record<Role, ReadonlySet<Privilege>>> = {
  user: new Set(USER),
  operator: new Set(OPERATOR),
  admin: new Set(ADMIN),
};

export function hasPrivilege(role: Role, privilege: Privilege): boolean {
  return ROLE_PRIVILEGES[role].has(privilege);
}

export interface PrincipalSet {
  users: string[];
  groups: string[];
}

export interface Policy {
  format: 1;
  admins: PrincipalSet;
  operators: PrincipalSet;
}

export function defaultPolicy(): Policy {
  return {format: 1, admins: {users: [], groups: [DEFAULT_ADMIN_GROUP]}, operators: {users: [], groups: []}};
}

function names(value: unknown, what: string): string[] {
  if (!Array.isArray(value) || !value.every(v => typeof v === 'string')) {
    throw corrupt(
      `The access policy's ${what} is not a list of names.`,
      `Fix or remove ${POLICY_KEY} in the repository (an admin can rewrite it with \`backhaul access policy\`).`,
    );
  }
  return value as string[];
}

/** Checks a parsed policy; anything malformed is refused rather than guessed at (fail closed). */
export function parsePolicy(data: unknown): Policy {
  const hint = `Fix or remove ${POLICY_KEY} in the repository.`;
  const p = data as Partial<Policy> | null;
  if (!p || typeof p !== 'object') throw corrupt('The access policy is not a JSON object.', hint);
  if (p.format !== 1)
    throw corrupt(
      `The access policy has format ${JSON.stringify(p.format)}; this Backhaul reads format 1.`,
      'Use a newer Backhaul, or fix the policy.',
    );
  const set = (s: unknown, what: string): PrincipalSet => {
    const o = s as Partial<PrincipalSet> | null;
    if (!o || typeof o !== 'object') throw corrupt(`The access policy has no ${what} section.`, hint);
    return {users: names(o.users, `${what}.users`), groups: names(o.groups, `${what}.groups`)};
  };
  return {format: 1, admins: set(p.admins, 'admins'), operators: set(p.operators, 'operators')};
}

/** The repository's policy, or the default when it has none. */
export async function loadPolicy(storage: ReadableStorage, codec: ObjectCodec = PLAIN_CODEC): Promise<Policy> {
  if (!(await storage.stat(POLICY_KEY))) return defaultPolicy();
  const raw = codec.openObject(POLICY_KEY, await storage.get(POLICY_KEY));
  let data: unknown;
  try {
    data = JSON.parse(raw.toString('utf8'));
  } catch {
    throw corrupt('The access policy is not valid JSON.', `Fix or remove ${POLICY_KEY} in the repository.`);
  }
  return parsePolicy(data);
}

export async function savePolicy(storage: Storage, policy: Policy, codec: ObjectCodec = PLAIN_CODEC): Promise<void> {
  await storage.put(
    POLICY_KEY,
    codec.sealObject(POLICY_KEY, Buffer.from(JSON.stringify(parsePolicy(policy), null, 2) + '\n')),
  );
}

/**
 * The uid owning the repository's root directory, or undefined where the
 * backend has no owner (object storage: there, only root and the policy make
 * admins). Asked of the storage (storage/owner.ts), whatever its backend.
 */
export async function repositoryOwnerUid(storage: ReadableStorage): Promise<number | undefined> {
  return storage.ownerUid?.();
}

function named(actor: Actor, set: PrincipalSet): boolean {
  return set.users.includes(actor.user) || set.groups.some(g => actor.groups.includes(g));
}

/**
 * The actor's role in one repository. Root is an admin only as itself: a sudo
 * caller's actor carries the caller's uid, so root's rights never leak to them.
 */
export function roleOf(actor: Actor, policy: Policy, repoOwnerUid?: number): Role {
  if (actor.uid === 0 || (repoOwnerUid !== undefined && actor.uid === repoOwnerUid) || named(actor, policy.admins))
    return 'admin';
  if (named(actor, policy.operators)) return 'operator';
  return 'user';
}
