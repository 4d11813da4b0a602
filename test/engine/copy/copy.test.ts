// Acceptance of the backup copy job (issue 3): after `backhaul demo`,
// `copy --points all` copies everything; restores from the copy equal restores
// from the primary (workstation, volume-level server, every cluster node);
// the target verifies; copies keep ids, record their origin and carry no
// access list; a second run transfers nothing.
import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {readFile} from 'node:fs/promises';
import {join} from 'node:path';
import {demoWorkspace, type Workspace} from '../../helpers/demo-cache.js';
import {assertSameRestore, listing} from '../../helpers/restore-compare.js';
import {lockFiles} from '../../helpers/locks.js';
import {appendToCatalogue} from '../../../source/engine/repository/catalogue.js';
import {Repository} from '../../../source/engine/repository/repository.js';
import {FilesystemStorage} from '../../../source/engine/storage/filesystem.js';

interface Listed {
  id: string;
  machine: string;
  kind: string;
  owner: string;
  nodes: {name: string}[];
  points: number;
}

describe('backhaul copy --points all (demo)', () => {
  let ws: Workspace;
  let listed: Listed[];
  const byMachine = (m: string) => listed.find(b => b.machine === m)!;
  let first: Record<string, any>;

  let emptyTarget: Map<string, string>;

  before(async () => {
    ws = await demoWorkspace('copy');
    emptyTarget = await listing(ws.secondary);
    listed = await ws.json(['list', '--repo', 'demo-primary', '--json']);
  });
  after(async () => ws?.cleanup());

  test('the dry run plans every point and writes nothing', async () => {
    const plan = await ws.json([
      'copy',
      '--from',
      'demo-primary',
      '--to',
      'demo-secondary',
      '--points',
      'all',
      '--dry-run',
      '--json',
    ]);
    const points = listed.reduce((s, b) => s + b.points, 0);
    assert.equal(plan.pointsToCopy, points);
    assert.equal(plan.pointsSkipped, 0);
    assert.ok(plan.transferBytes > 0 && plan.logicalBytes > plan.transferBytes);
    assert.equal(plan.presentBytes, 0);
    assert.equal(plan.fits, true);
    assert.equal(plan.backups.length, listed.length);
    assert.deepEqual(await listing(ws.secondary), emptyTarget, 'the dry run wrote nothing');
  });

  test('copies every point and reports the session in JSON', async () => {
    first = await ws.json(['copy', '--from', 'demo-primary', '--to', 'demo-secondary', '--points', 'all', '--json']);
    const points = listed.reduce((s, b) => s + b.points, 0);
    assert.equal(first.pointsCopied, points);
    assert.equal(first.pointsSkipped, 0);
    assert.equal(first.pointsFailed, 0);
    for (const key of ['logicalBytes', 'readBytes', 'transferredBytes', 'storedBytes', 'seconds']) {
      assert.equal(typeof first[key], 'number', key);
      assert.ok(first[key] > 0, `${key} > 0`);
    }
    assert.ok(first.logicalBytes > first.transferredBytes, 'shared and unchanged data make the logical size larger');
    assert.ok(first.readBytes >= first.transferredBytes);
    assert.deepEqual(lockFiles(ws.secondary), [], 'the writer lock is released');
  });

  test('copies keep backup and point ids, record their origin, and carry no access list', async () => {
    const config = JSON.parse(await readFile(join(ws.primary, 'config'), 'utf8'));
    const copied: Listed[] = await ws.json(['list', '--repo', 'demo-secondary', '--json']);
    assert.deepEqual(copied.map(b => b.id).sort(), listed.map(b => b.id).sort());
    for (const b of listed) {
      const record = JSON.parse(await readFile(join(ws.secondary, 'backups', b.id, 'backup.json'), 'utf8'));
      assert.equal(record.access, null, `${b.machine}: a copy has no access list`);
      assert.equal(record.owner, b.owner, 'the owner is kept as metadata');
      assert.equal(record.origin.repositoryId, config.id);
      assert.ok(!Number.isNaN(Date.parse(record.origin.copiedAt)));
      const [src, dst] = await Promise.all([
        ws.json(['points', b.id, '--repo', 'demo-primary', '--json']),
        ws.json(['points', b.id, '--repo', 'demo-secondary', '--json']),
      ]);
      assert.deepEqual(
        dst.map((p: any) => [p.id, p.time, p.type, p.logicalBytes]),
        src.map((p: any) => [p.id, p.time, p.type, p.logicalBytes]),
      );
      for (const p of dst) {
        const manifest = JSON.parse(
          await readFile(join(ws.secondary, 'backups', b.id, 'points', `${p.id}.json`), 'utf8'),
        );
        assert.equal(manifest.origin.repositoryId, config.id);
      }
    }
  });

  test('a workstation restores identically from the copy (newest and an older point)', async () => {
    const b = byMachine('alice-laptop');
    const points = await ws.json(['points', b.id, '--repo', 'demo-primary', '--json']);
    for (const point of [points.at(-1).id, points[1].id]) {
      await assertSameRestore(ws, 'demo-primary', 'demo-secondary', {backup: b.id, point}, join(ws.dir, 'restore'));
    }
  });

  test('the volume-level server (db01) restores identical images', async () => {
    const listing = await assertSameRestore(
      ws,
      'demo-primary',
      'demo-secondary',
      {backup: byMachine('db01').id, point: 'latest'},
      join(ws.dir, 'restore'),
    );
    assert.ok(
      [...listing.keys()].some(k => k.endsWith('.img')),
      'db01 restores disk images',
    );
  });

  test('every node of the cluster restores identically', async () => {
    const cluster = byMachine('sql-cluster');
    assert.deepEqual(
      cluster.nodes.map(n => n.name),
      ['node1', 'node2', 'node3'],
    );
    const listing = await assertSameRestore(
      ws,
      'demo-primary',
      'demo-secondary',
      {backup: cluster.id, point: 'latest'},
      join(ws.dir, 'restore'),
    );
    for (const node of ['node1', 'node2', 'node3']) {
      assert.ok(listing.has(node), `${node} restored`);
      assert.ok(
        [...listing.keys()].some(k => k.startsWith(`${node}/`) && k.endsWith('.img')),
        `${node} has its shared disk images`,
      );
    }
  });

  test('verify passes on the target', async () => {
    const report = await ws.json(['verify', '--repo', 'demo-secondary', '--json']);
    assert.equal(report.ok, true);
    assert.equal(
      report.points,
      listed.reduce((s, b) => s + b.points, 0),
    );
    assert.deepEqual(report.brokenPoints, []);
  });

  test('a second run transfers nothing', async () => {
    const again = await ws.json([
      'copy',
      '--from',
      'demo-primary',
      '--to',
      'demo-secondary',
      '--points',
      'all',
      '--json',
    ]);
    assert.equal(again.transferredBytes, 0);
    assert.equal(again.pointsCopied, 0);
    assert.equal(again.pointsSkipped, first.pointsCopied);
    assert.equal(again.pointsFailed, 0);
  });

  test('a point whose catalogue segment a killed copy never wrote is named again by the next run', async () => {
    const target = await Repository.open(new FilesystemStorage(ws.secondary));
    const backup = (await target.listBackups()).find(b => b.machine === 'web01')!;
    const points = await target.listPointSummaries(backup.id);
    assert.ok(points.length >= 2);
    // As a copy killed after the newest point's manifest and before its segment leaves it.
    const prefix = `backups/${backup.id}/catalog/`;
    for await (const info of target.storage.list(prefix)) await target.storage.delete(info.key);
    await appendToCatalogue(target, backup.id, points.slice(0, -1));
    const before: Listed[] = await ws.json(['list', '--repo', 'demo-secondary', '--json']);
    assert.equal(before.find(b => b.machine === 'web01')!.points, points.length - 1);
    const again = await ws.json([
      'copy',
      '--from',
      'demo-primary',
      '--to',
      'demo-secondary',
      '--points',
      'all',
      '--json',
    ]);
    assert.equal(again.transferredBytes, 0);
    assert.equal(again.pointsCopied, 0);
    const after: Listed[] = await ws.json(['list', '--repo', 'demo-secondary', '--json']);
    assert.equal(after.find(b => b.machine === 'web01')!.points, points.length, 'the point is listed again');
  });
});
