// A damaged or crafted record in the repository the TUI opens: the Backups
// screen shows the engine's sentence in place, naming the object and what is
// wrong with it, with its hint on the status line, never "Unexpected error"
// (a bug) or a stack.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {readdir, readFile, writeFile} from 'node:fs/promises';
import {join} from 'node:path';
import {makeWorld, openTui, type World} from './world.js';

let world: World;
before(async () => {
  world = await makeWorld();
});
after(async () => world?.cleanup());

test("a backup record claiming another backup's id is shown as damaged, by key and field", async () => {
  const [victim, other] = (await readdir(join(world.primary, 'backups'))).sort();
  const path = join(world.primary, 'backups', victim!, 'backup.json');
  const record = JSON.parse(await readFile(path, 'utf8')) as {id: string};
  record.id = other!;
  await writeFile(path, JSON.stringify(record));
  const r = await openTui({columns: 200, rows: 24});
  const frame = await r.waitFor(/damaged/);
  assert.match(
    frame,
    new RegExp(`✗ backups/${victim}/backup\\.json in \\S+ is damaged: id "${other}" is not the id it is stored under`),
  );
  assert.match(frame, /\. Restore it from a good copy/, 'the hint says what to do');
  assert.doesNotMatch(frame, /Unexpected error|bug in Backhaul|\n\s+at /);
  await r.unmount();
});
