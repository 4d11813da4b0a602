/**
 * The failover-cluster spec that `backhaul agent backup --cluster SPEC.json`
 * reads (and the demo writes). `parseClusterSpec` is the only way a spec gets
 * in: it checks shape and names and resolves relative paths against the spec's
 * directory, so the agent can trust every field. Every problem is a usage error
 * naming the exact field, e.g. `nodes[1].disks[0]`.
 *
 * Example:
 * {"cluster": "sql-cluster", "job": "sql-cluster", "owner": "root",
 *  "nodes": [{"name": "node1", "disks": [{"name": "system", "path": "node1/local"}]}, ...],
 *  "sharedDisks": [{"name": "data", "ownerNode": "node2", "image": "shared/data.img"}]}
 */
import {isAbsolute, resolve} from 'node:path';
import {usageError} from '../errors.js';
import type {BackupSpec, DiskSource} from './backup.js';

export interface DiskSpec {
  name: string;
  path?: string;
  image?: string;
}
export interface SharedDiskSpec extends DiskSpec {
  ownerNode: string;
}
export interface NodeSpec {
  name: string;
  disks: DiskSpec[];
}
export interface ClusterSpec {
  cluster: string;
  /** Defaults to the cluster name. */
  job: string;
  owner?: string;
  nodes: NodeSpec[];
  sharedDisks: SharedDiskSpec[];
}

const HINT =
  'A cluster spec is JSON: {"cluster", "job", "owner"?, "nodes": [{"name", "disks": [{"name", "path"|"image"}]}], "sharedDisks": [{"name", "ownerNode", "path"|"image"}]}.';
const fail = (message: string) => usageError(message, HINT);

/** Validates `json` (text or an already parsed value); relative paths resolve against `baseDir`. */
export function parseClusterSpec(json: unknown, baseDir: string): ClusterSpec {
  let value = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json);
    } catch (e) {
      throw fail(`The cluster spec is not valid JSON: ${(e as Error).message}.`);
    }
  }
  const spec = object(value, 'the cluster spec', ['cluster', 'job', 'owner', 'nodes', 'sharedDisks']);
  const cluster = name(spec.cluster, 'cluster');
  const job = spec.job === undefined ? cluster : name(spec.job, 'job');
  const owner = spec.owner === undefined ? undefined : name(spec.owner, 'owner');
  if (!Array.isArray(spec.nodes) || spec.nodes.length === 0)
    throw fail('The cluster spec needs "nodes": a non-empty list.');
  const nodes = spec.nodes.map((raw, i) => {
    const node = object(raw, `nodes[${i}]`, ['name', 'disks']);
    if (!Array.isArray(node.disks)) throw fail(`nodes[${i}] needs "disks": a list (it may be empty).`);
    return {
      name: name(node.name, `nodes[${i}].name`),
      disks: node.disks.map((d, j) => disk(d, `nodes[${i}].disks[${j}]`, baseDir, false) as DiskSpec),
    };
  });
  unique(
    nodes.map(n => n.name),
    n => `Duplicate node name "${n}".`,
  );
  const shared = spec.sharedDisks ?? [];
  if (!Array.isArray(shared)) throw fail('"sharedDisks" must be a list.');
  const sharedDisks = shared.map((d, i) => disk(d, `sharedDisks[${i}]`, baseDir, true) as SharedDiskSpec);
  unique(
    sharedDisks.map(d => d.name),
    n => `Duplicate shared disk name "${n}".`,
  );
  for (const [i, d] of sharedDisks.entries()) {
    if (!nodes.some(n => n.name === d.ownerNode)) {
      throw fail(
        `sharedDisks[${i}] ("${d.name}") names owner node "${d.ownerNode}", which is not in "nodes" (${nodes.map(n => n.name).join(', ')}).`,
      );
    }
  }
  for (const node of nodes) {
    // Every node sees its local disks and every shared disk under one namespace.
    unique(
      node.disks.map(d => d.name).concat(sharedDisks.map(d => d.name)),
      n => `Node "${node.name}" has two disks named "${n}" (local and shared disk names must all differ).`,
    );
  }
  return {cluster, job, ...(owner === undefined ? {} : {owner}), nodes, sharedDisks};
}

function object(value: unknown, where: string, keys: string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw fail(`${capital(where)} must be a JSON object.`);
  for (const key of Object.keys(value)) {
    if (!keys.includes(key))
      throw fail(`${capital(where)} has an unknown field "${key}" (expected ${keys.join(', ')}).`);
  }
  return value as Record<string, unknown>;
}

function disk(value: unknown, where: string, baseDir: string, shared: boolean): DiskSpec | SharedDiskSpec {
  const d = object(value, where, shared ? ['name', 'ownerNode', 'path', 'image'] : ['name', 'path', 'image']);
  const diskName = name(d.name, `${where}.name`);
  if ((d.path === undefined) === (d.image === undefined)) {
    throw fail(
      `${where} ("${diskName}") needs exactly one of "path" (a directory, file-level) or "image" (a disk image, volume-level).`,
    );
  }
  const kind = d.path !== undefined ? 'path' : 'image';
  const raw = d[kind];
  if (typeof raw !== 'string' || raw === '' || raw.includes('\0'))
    throw fail(`${where}.${kind} must be a non-empty path.`);
  const location = isAbsolute(raw) ? raw : resolve(baseDir, raw);
  const out: DiskSpec = {name: diskName, [kind]: location};
  return shared ? {...out, ownerNode: name(d.ownerNode, `${where}.ownerNode`)} : out;
}

/** Names end up in keys, paths and tables: no '/', no control characters, no '.'/'..'. */
function name(value: unknown, where: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw fail(`"${where}" must be a non-empty string.`);
  if (value.includes('/') || value.includes('\\')) throw fail(`"${where}" ("${value}") must not contain "/" or "\\".`);
  if (/[\u0000-\u001f\u007f]/.test(value))
    throw fail(`"${where}" (${JSON.stringify(value)}) must not contain control characters.`);
  if (value === '.' || value === '..') throw fail(`"${where}" must not be "${value}".`);
  if (Buffer.byteLength(value) > 200) throw fail(`"${where}" is longer than 200 bytes.`);
  return value;
}

function unique(names: string[], message: (name: string) => string): void {
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw fail(message(n));
    seen.add(n);
  }
}

const capital = (s: string) => s[0]!.toUpperCase() + s.slice(1);

/** The agent's view of a cluster spec: every node gets its local disks plus every shared disk (read on its owner node). */
export function clusterBackupSpec(c: ClusterSpec, owner = 'root'): BackupSpec {
  const shared: DiskSource[] = c.sharedDisks.map(d =>
    d.image
      ? {name: d.name, kind: 'image', image: d.image, shared: true, ownerNode: d.ownerNode}
      : {name: d.name, kind: 'files', roots: [{root: d.path!, prefix: ''}], shared: true, ownerNode: d.ownerNode},
  );
  return {
    job: c.job,
    machine: c.cluster,
    kind: 'cluster',
    owner: c.owner ?? owner,
    nodes: c.nodes.map(n => ({
      name: n.name,
      disks: [
        ...n.disks.map((d): DiskSource =>
          d.image
            ? {name: d.name, kind: 'image', image: d.image}
            : {name: d.name, kind: 'files', roots: [{root: d.path!, prefix: ''}]},
        ),
        ...shared,
      ],
    })),
  };
}
