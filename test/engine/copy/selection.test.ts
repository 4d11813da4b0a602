// Which backups, points and cluster nodes a copy job takes: --points specs
// (latest, latest:N per backup, all, since:DATE, ids), machine/job patterns,
// backup ids, --nodes; bad specs are usage errors, never a silent no-op, and
// a selection that matches nothing is "not found", saying what was asked.
import {describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {
  describeSelection,
  explicitPointIds,
  globToRegExp,
  nothingSelected,
  parsePointSpec,
  selectBackups,
  selectNodes,
} from '../../../source/engine/copy/selection.js';
import {BackhaulError} from '../../../source/engine/errors.js';
import type {BackupRecord, PointManifest} from '../../../source/engine/repository/model.js';

const day = (n: number) => new Date(Date.UTC(2026, 10, n, 2, 0, 0)).toISOString();

function points(backup: string, n: number, firstDay = 1): PointManifest[] {
  return Array.from(
    {length: n},
    (_, i) =>
      ({
        format: 1,
        id: `p${backup}${i}`,
        backupId: backup,
        time: day(firstDay + i),
        type: i === 0 ? 'full' : 'incremental',
        nodes: [],
        logicalBytes: 0,
        storedBytes: 0,
      }) as unknown as PointManifest,
  );
}

function backup(
  id: string,
  machine: string,
  job: string,
  kind: BackupRecord['kind'] = 'workstation',
  nodes = [machine],
): BackupRecord {
  return {
    format: 1,
    id,
    job,
    machine,
    kind,
    owner: 'alice',
    access: null,
    createdAt: day(1),
    nodes: nodes.map(name => ({name, disks: []})),
  } as unknown as BackupRecord;
}

const ids = (list: PointManifest[]) => list.map(p => p.id);
const isUsage = (e: unknown) => e instanceof BackhaulError && e.code === 'usage' && e.exitCode === 2;

describe('parsePointSpec', () => {
  const a = points('aaaa', 4);
  const b = points('bbbb', 2, 3);

  test('latest (the default) takes the newest point of each backup', () => {
    assert.deepEqual(ids(parsePointSpec()(a).picked), ['paaaa3']);
    assert.deepEqual(ids(parsePointSpec('latest')(b).picked), ['pbbbb1']);
    assert.deepEqual(ids(parsePointSpec('latest')(a).filtered), ['paaaa0', 'paaaa1', 'paaaa2']);
    assert.deepEqual(parsePointSpec('latest')([]), {picked: [], filtered: []});
  });

  test('latest:N takes the N newest of each backup, all of them when it has fewer', () => {
    const spec = parsePointSpec('latest:3');
    assert.deepEqual(ids(spec(a).picked), ['paaaa1', 'paaaa2', 'paaaa3']);
    assert.deepEqual(ids(spec(a).filtered), ['paaaa0']);
    assert.deepEqual(ids(spec(b).picked), ['pbbbb0', 'pbbbb1'], 'per backup, not across backups');
    assert.deepEqual(ids(parsePointSpec('latest:1')(a).picked), ['paaaa3']);
  });

  test('all takes every point', () => {
    assert.deepEqual(ids(parsePointSpec('all')(a).picked), ids(a));
    assert.deepEqual(parsePointSpec('all')(a).filtered, []);
  });

  test('since:DATE takes the points at or after the date (date or date-time)', () => {
    assert.deepEqual(ids(parsePointSpec('since:2026-11-03')(a).picked), ['paaaa2', 'paaaa3']);
    assert.deepEqual(ids(parsePointSpec(`since:${day(2)}`)(a).picked), ['paaaa1', 'paaaa2', 'paaaa3'], 'inclusive');
    assert.deepEqual(ids(parsePointSpec('since:2026-11-02T02:00:01Z')(a).picked), ['paaaa2', 'paaaa3']);
    assert.deepEqual(ids(parsePointSpec('since:2030-01-01')(a).picked), []);
    assert.deepEqual(ids(parsePointSpec('since:2026-11-03')(a).filtered), ['paaaa0', 'paaaa1']);
  });

  test('explicit ids take those points, in each backup that has them', () => {
    const spec = parsePointSpec('paaaa1, pbbbb0');
    assert.deepEqual(ids(spec(a).picked), ['paaaa1']);
    assert.deepEqual(ids(spec(b).picked), ['pbbbb0']);
    assert.deepEqual(ids(parsePointSpec('paaaa2')(a).picked), ['paaaa2']);
  });

  test('explicitPointIds names the ids of the id form only (the plan rejects ids no backup has)', () => {
    assert.deepEqual(explicitPointIds('paaaa1, pbbbb0,paaaa1'), ['paaaa1', 'pbbbb0']);
    for (const spec of [undefined, 'latest', 'latest:2', 'all', 'since:2026-11-01'])
      assert.equal(explicitPointIds(spec), undefined);
  });

  test('bad specs are usage errors', () => {
    for (const spec of [
      'latest:0',
      'since:yesterday',
      'since:',
      'since:2026-13-45',
      ',',
      ' , ',
      'latest:abc',
      'latest:-1',
      'Latest',
      'all,',
      'p/../x',
      '',
    ]) {
      assert.throws(() => parsePointSpec(spec), isUsage, `--points ${JSON.stringify(spec)}`);
    }
  });
});

describe('selectBackups', () => {
  const all = [
    backup('b1aaaa', 'alice-laptop', 'workstations'),
    backup('b2bbbb', 'bob-desktop', 'workstations'),
    backup('b3cccc', 'db01', 'servers', 'server'),
    backup('b4dddd', 'sql-cluster', 'sql-cluster', 'cluster', ['node1', 'node2', 'node3']),
  ];
  const chosen = (sel: Parameters<typeof selectBackups>[1]) => selectBackups(all, sel).map(b => b.id);

  test('no selection takes every backup', () => {
    assert.deepEqual(chosen({}), ['b1aaaa', 'b2bbbb', 'b3cccc', 'b4dddd']);
    assert.deepEqual(chosen({backups: []}), ['b1aaaa', 'b2bbbb', 'b3cccc', 'b4dddd']);
  });

  test('by id, machine pattern, job pattern, or a combination', () => {
    assert.deepEqual(chosen({backups: ['b3cccc', 'b1aaaa']}), ['b1aaaa', 'b3cccc']);
    assert.deepEqual(chosen({machine: '*-laptop'}), ['b1aaaa']);
    assert.deepEqual(chosen({machine: 'DB0?'}), ['b3cccc'], 'case-insensitive, ? is one character');
    assert.deepEqual(chosen({job: 'workstations'}), ['b1aaaa', 'b2bbbb']);
    assert.deepEqual(chosen({job: 'work*', machine: 'bob*'}), ['b2bbbb']);
    assert.deepEqual(chosen({backups: ['b1aaaa'], machine: 'bob*'}), []);
    assert.deepEqual(chosen({machine: 'nothing-*'}), []);
  });

  test('patterns are shell patterns, not regular expressions', () => {
    assert.equal(globToRegExp('db.1').test('db01'), false);
    assert.equal(globToRegExp('a+b').test('aab'), false);
    assert.equal(globToRegExp('(x)').test('(x)'), true);
  });

  test('an unknown backup id is "not found" (exit 13) naming it', () => {
    assert.throws(
      () => chosen({backups: ['b1aaaa', 'bzzzzz']}),
      e => e instanceof BackhaulError && e.code === 'not-found' && e.exitCode === 13 && /bzzzzz/.test(e.message),
    );
  });
});

describe('nothingSelected', () => {
  const isNotFound = (e: BackhaulError) => e.code === 'not-found' && e.exitCode === 13 && e.hint.length > 0;

  test('says what was asked: the filters as typed, or that the source is empty', () => {
    assert.equal(describeSelection({}), '');
    assert.equal(
      describeSelection({
        backups: ['b1aaaa'],
        machine: 'ws-*',
        job: 'daily',
        points: 'since:2026-11-01',
        nodes: ['node1'],
      }),
      '"b1aaaa" --machine "ws-*" --job "daily" --points since:2026-11-01',
    );
    const empty = nothingSelected('/srv/primary', {}, 0);
    assert.ok(isNotFound(empty));
    assert.match(empty.message, /\/srv\/primary holds no backups/);
    const machine = nothingSelected('/srv/primary', {machine: 'nope'}, 0);
    assert.ok(isNotFound(machine));
    assert.match(machine.message, /No backup in \/srv\/primary matches --machine "nope"/);
    assert.match(machine.hint, /backhaul list/);
    const points = nothingSelected('/srv/primary', {points: 'since:2099-01-01'}, 3);
    assert.ok(isNotFound(points));
    assert.match(points.message, /No restore point of the 3 selected backup\(s\) matches --points since:2099-01-01/);
    assert.match(points.hint, /backhaul points/);
  });
});

describe('selectNodes', () => {
  const cluster = backup('b4dddd', 'sql-cluster', 'sql-cluster', 'cluster', ['node1', 'node2', 'node3']);
  const single = backup('b1aaaa', 'alice-laptop', 'workstations');

  test('every node by default', () => {
    assert.deepEqual(selectNodes(cluster, undefined), ['node1', 'node2', 'node3']);
    assert.deepEqual(selectNodes(cluster, []), ['node1', 'node2', 'node3']);
  });

  test("a subset, in the cluster's order", () => {
    assert.deepEqual(selectNodes(cluster, ['node3', 'node1']), ['node1', 'node3']);
    assert.deepEqual(selectNodes(cluster, ['node2']), ['node2']);
  });

  test('--nodes does not apply to single machines', () => {
    assert.deepEqual(selectNodes(single, ['node1']), ['alice-laptop']);
  });

  test('an unknown node is a usage error listing the real ones', () => {
    assert.throws(
      () => selectNodes(cluster, ['node1', 'node9']),
      e => isUsage(e) && /node9/.test((e as Error).message) && /node1, node2, node3/.test((e as BackhaulError).hint),
    );
  });
});
