// Which explorer `e` opens from the restore browser: a SQLite database by its
// name, a Maildir by its cur/ or new/ folder, an mbox by its name; nothing
// for anything else (the browser then says what Explore opens).
import assert from 'node:assert/strict';
import {test} from 'node:test';
import type {TreeNode} from '../../../source/engine/restore/tree.js';
import {explorerFor} from '../../../source/ui/screens/restore-browse.js';
import {createRegistry, SCREENS} from '../../../source/ui/screens/registry.js';

const file = (name: string): TreeNode => ({path: `x/${name}`, name, type: 'file', size: 1, files: 1, mtimeMs: 0});
const dir = (name: string, children: TreeNode[]): TreeNode => ({
  path: `x/${name}`,
  name,
  type: 'dir',
  size: 0,
  files: 0,
  mtimeMs: 0,
  children,
});

test('e opens the SQLite explorer on databases, the mail explorer on Maildirs and mboxes, nothing elsewhere', () => {
  for (const name of ['app.db', 'places.sqlite', 'x.SQLITE3', 'y.db3'])
    assert.equal(explorerFor(file(name)), 'explore-sqlite', name);
  for (const name of ['inbox.mbox', 'mbox', 'Sent']) assert.equal(explorerFor(file(name)), 'explore-mail', name);
  assert.equal(explorerFor(dir('Maildir', [dir('cur', []), dir('new', []), dir('tmp', [])])), 'explore-mail');
  assert.equal(explorerFor(dir('docs', [file('cur')])), undefined);
  assert.equal(explorerFor(file('notes.txt')), undefined);
  assert.equal(explorerFor({...file('link.db'), type: 'symlink'}), undefined);
  for (const id of ['explore-sqlite', 'explore-mail']) assert.ok(createRegistry(SCREENS).get(id), `${id} is a screen`);
});
