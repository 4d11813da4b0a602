/**
 * Who is acting. The actor is the OS user running the process — never a flag
 * or an environment variable a user could set — with one exception: when the
 * real uid is 0 and SUDO_UID names another user, the actor is the sudo
 * caller, with that caller's groups and none of root's rights (the rule is
 * util/sudo-caller.ts; SUDO_UID=0 is root acting as root).
 *
 * Names and supplementary groups come from /etc/passwd and /etc/group; users
 * only known to NSS (LDAP, sssd) are resolved with `id` as a fallback (run
 * through execa, loaded only then).
 */
import {readFileSync} from 'node:fs';
import {denied, notFound, quoted} from '../errors.js';
import {lazyExecaSync} from '../util/execa-sync.js';
import {MalformedSudoUid, sudoCallerUid} from '../util/sudo-caller.js';

export interface Actor {
  uid: number;
  gid: number;
  user: string;
  groups: string[];
  /** True when the process runs as root on behalf of a sudo caller (the actor). */
  viaSudo: boolean;
}

export interface UserInfo {
  uid: number;
  gid: number;
  name: string;
}

/** The user and group database the actor is resolved against (parsed files, or a test's own). */
export interface UserDb {
  userByUid(uid: number): UserInfo | undefined;
  userByName(name: string): UserInfo | undefined;
  /** Every group name the user belongs to: the primary group and supplementary ones. */
  groupsOf(user: UserInfo): string[];
}

/** What identity resolution reads from the process, as plain input so it can be tested. */
export interface ProcessIdentity {
  uid: number;
  gid: number;
  env: Record<string, string | undefined>;
}

const UID = /^(0|[1-9][0-9]{0,9})$/;

/** The one rule that decides whose rights apply. Pure: no process state is read. */
export function resolveActor(proc: ProcessIdentity, db: UserDb): Actor {
  let caller: number | undefined;
  try {
    caller = sudoCallerUid(proc);
  } catch (e) {
    if (!(e instanceof MalformedSudoUid)) throw e;
    throw denied(e.message, 'Run backhaul through sudo as documented, or unset SUDO_UID.');
  }
  const viaSudo = caller !== undefined;
  const uid = caller ?? proc.uid;
  const info = db.userByUid(uid);
  let gid = proc.gid;
  if (viaSudo) {
    const sudoGid = proc.env['SUDO_GID'];
    gid = sudoGid !== undefined && UID.test(sudoGid) ? Number(sudoGid) : (info?.gid ?? uid);
  }
  const user = info?.name ?? `#${uid}`;
  const groups = db.groupsOf({uid, gid, name: user});
  return {uid, gid, user, groups, viaSudo};
}

/** The actor of this process. */
export function currentActor(): Actor {
  if (typeof process.getuid !== 'function' || typeof process.getgid !== 'function') {
    throw denied('Access control needs a POSIX system (user ids).', 'Run backhaul on Linux or another Unix.');
  }
  return resolveActor({uid: process.getuid(), gid: process.getgid(), env: process.env}, systemUserDb());
}

/** A user by name, for `--for USER`, `--user U` and `--owner`. */
export function lookupUser(name: string, db: UserDb = systemUserDb()): UserInfo {
  const info = db.userByName(name);
  if (!info)
    throw notFound(`No user named ${quoted(name, 64)} on this system.`, 'Check the name with `getent passwd NAME`.');
  return info;
}

/** Whether a group exists, for `--group G`. */
export function lookupGroup(name: string, groupText: string = readOr('/etc/group')): string {
  const known = parseGroup(groupText).some(g => g.name === name) || idGroupExists(name);
  if (!known)
    throw notFound(`No group named ${quoted(name, 64)} on this system.`, 'Check the name with `getent group NAME`.');
  return name;
}

interface GroupLine {
  name: string;
  gid: number;
  members: string[];
}

export function parsePasswd(text: string): UserInfo[] {
  const users: UserInfo[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 4 || line.startsWith('#') || !UID.test(f[2]!) || !UID.test(f[3]!)) continue;
    users.push({name: f[0]!, uid: Number(f[2]), gid: Number(f[3])});
  }
  return users;
}

export function parseGroup(text: string): GroupLine[] {
  const groups: GroupLine[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 4 || line.startsWith('#') || !UID.test(f[2]!)) continue;
    groups.push({name: f[0]!, gid: Number(f[2]), members: f[3]!.split(',').filter(Boolean)});
  }
  return groups;
}

/** A UserDb over passwd/group file contents; `fallback` resolves users the files do not list. */
export function fileUserDb(passwdText: string, groupText: string, fallback?: Partial<UserDb>): UserDb {
  const users = parsePasswd(passwdText);
  const groups = parseGroup(groupText);
  return {
    userByUid: uid => users.find(u => u.uid === uid) ?? fallback?.userByUid?.(uid),
    userByName: name => users.find(u => u.name === name) ?? fallback?.userByName?.(name),
    groupsOf(user) {
      const listed = users.some(u => u.name === user.name);
      if (!listed && fallback?.groupsOf) return fallback.groupsOf(user);
      const names = groups.filter(g => g.gid === user.gid || g.members.includes(user.name)).map(g => g.name);
      return [...new Set(names)];
    },
  };
}

export function systemUserDb(): UserDb {
  return fileUserDb(readOr('/etc/passwd'), readOr('/etc/group'), idFallback);
}

function readOr(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** `id` consults NSS, so it knows directory users that /etc/passwd does not list. */
function runId(args: string[]): string | undefined {
  try {
    return lazyExecaSync()('id', args, {stdin: 'ignore', stderr: 'ignore', timeout: 5000}).stdout.trim();
  } catch {
    return undefined;
  }
}

const SAFE_NAME = /^[A-Za-z0-9._][A-Za-z0-9._-]{0,63}\$?$/;

const idFallback: Partial<UserDb> = {
  userByUid(uid) {
    const name = runId(['-un', String(uid)]);
    return name && SAFE_NAME.test(name) ? idUser(name) : undefined;
  },
  userByName(name) {
    return SAFE_NAME.test(name) ? idUser(name) : undefined;
  },
  groupsOf(user) {
    if (!SAFE_NAME.test(user.name)) return [];
    return runId(['-Gn', '--', user.name])?.split(/\s+/).filter(Boolean) ?? [];
  },
};

function idUser(name: string): UserInfo | undefined {
  const uid = runId(['-u', '--', name]);
  const gid = runId(['-g', '--', name]);
  if (!uid || !gid || !UID.test(uid) || !UID.test(gid)) return undefined;
  return {name, uid: Number(uid), gid: Number(gid)};
}

function idGroupExists(name: string): boolean {
  if (!SAFE_NAME.test(name)) return false;
  try {
    lazyExecaSync()('getent', ['group', '--', name], {stdio: 'ignore', timeout: 5000});
    return true;
  } catch {
    return false;
  }
}
