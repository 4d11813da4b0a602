/**
 * Shared test data for the access tests: a small user database, actors, and
 * backup records. Not a test file (no `.test.` in the name).
 */
import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileUserDb, resolveActor, type Actor} from '../../../source/engine/access/identity.js';
import type {BackupId} from '../../../source/engine/ids.js';
import type {BackupRecord, Principal} from '../../../source/engine/repository/model.js';
import {FilesystemStorage} from '../../../source/engine/storage/filesystem.js';

export const PASSWD = `root:x:0:0:root:/root:/bin/bash
# a comment line
alice:x:1001:1001::/home/alice:/bin/bash
bob:x:1002:1002::/home/bob:/bin/bash
carol:x:1003:1003::/home/carol:/bin/bash
dave:x:1004:1004::/home/dave:/bin/bash
`;
export const GROUP = `root:x:0:
alice:x:1001:
bob:x:1002:
carol:x:1003:
dave:x:1004:
finance:x:2000:alice,carol
backhaul-admins:x:2001:carol
helpdesk:x:2002:dave
`;
export const db = fileUserDb(PASSWD, GROUP);

export function actorFor(uid: number): Actor {
  return resolveActor({uid, gid: uid, env: {}}, db);
}
export const root = actorFor(0);
export const alice = actorFor(1001);
export const bob = actorFor(1002);
export const carol = actorFor(1003);
export const dave = actorFor(1004);

export function backup(id: string, access: Principal[] | null, owner = 'alice'): BackupRecord {
  return {
    format: 1,
    id: id as BackupId,
    job: 'daily',
    machine: `${owner}-pc`,
    kind: 'workstation',
    owner,
    access,
    createdAt: '2024-05-01T10:00:00.000Z',
    nodes: [{name: `${owner}-pc`, disks: [{name: 'home', kind: 'files', shared: false}]}],
  };
}

export async function tempStorage(): Promise<{storage: FilesystemStorage; dir: string; cleanup: () => Promise<void>}> {
  const dir = await mkdtemp(join(tmpdir(), 'backhaul-access-'));
  return {storage: new FilesystemStorage(dir), dir, cleanup: () => rm(dir, {recursive: true, force: true})};
}
