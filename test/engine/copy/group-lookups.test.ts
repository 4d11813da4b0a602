/**
 * The plan's answers for a group of chunk ids (group-lookups.ts), which the
 * run's scheduler reads instead of looking the ids up again: the same
 * answers as looking each id up, and none for other index objects (a source
 * index read anew has other slots).
 */
import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import {test} from 'node:test';
import type {ChunkId, PackId} from '../../../source/engine/ids.js';
import {groupLookup, lookUpGroup} from '../../../source/engine/copy/group-lookups.js';
import {ChunkIndex} from '../../../source/engine/repository/index-store.js';
import type {BlobEntry} from '../../../source/engine/repository/pack.js';

const id = (label: string) => createHash('sha256').update(label).digest('hex');

function indexOf(labels: string[]): ChunkIndex {
  const index = new ChunkIndex();
  index.addPack(
    id(`pack ${labels.join()}`) as PackId,
    labels.map((l, i) => [id(l) as ChunkId, i * 10, 10, 10, 0] as BlobEntry),
  );
  return index;
}

test('the answers are those of looking each id up; kept for the same indexes only', () => {
  const source = indexOf(['a', 'b', 'c', 'd']);
  const target = indexOf(['b', 'd', 'e']);
  const group = ['a', 'b', 'c', 'd', 'e', 'f'].map(id);
  const lookup = lookUpGroup(group, source, target);
  assert.deepEqual(
    [...lookup.slots],
    group.map(i => source.slotOf(i)),
  );
  assert.deepEqual([...lookup.present], [0, 1, 0, 1, 1, 0]);
  assert.equal(lookup.slots[5], -1, 'an id the source lacks');
  assert.equal(groupLookup(group, source, target), lookup);
  assert.equal(lookUpGroup(group, source, target), lookup, 'looked up once');
  assert.equal(groupLookup(group, indexOf(['a']), target), undefined, 'another source index');
  assert.equal(groupLookup(group, source, indexOf(['a'])), undefined, 'another target index');
  assert.equal(groupLookup([...group], source, target), undefined, 'another group');
});
