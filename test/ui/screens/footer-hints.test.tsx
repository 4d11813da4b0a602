// Every hint in the footer does what it says on that screen (issue 18: `x
// cancel` on the restore destination, `Space mark` on the restore pickers and
// `Enter open` on a file did nothing, or something else). The walk reaches
// each screen (and mode) of the real TUI on a real repository, reads the
// footer, and for each hint starts again, presses its key and checks that
// something happened: the frame changed, or the TUI quit. The screen keys
// (J, H, A, R, r) are also pressed from every screen: they open their screen
// wherever you are, as in k9s.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {appendAudit} from '../../../source/engine/access/audit.js';
import {FilesystemStorage} from '../../../source/engine/storage/filesystem.js';
import {ACTION_IDS, BINDINGS, keyLabel, type ActionId} from '../../../source/ui/keymap.js';
import {KEYS} from '../helpers.js';
import {makeWorld, openTui, type World} from './world.js';

type Tui = Awaited<ReturnType<typeof openTui>>;
const SIZE = {columns: 200, rows: 40};
let world: World;

before(async () => {
  world = await makeWorld();
  await appendAudit(new FilesystemStorage(world.primary), {
    action: 'access.grant',
    actor: {user: 'root', uid: 0, viaSudo: false},
    result: 'ok',
    principal: 'user:alice',
    backupId: 'b000000000001',
    reason: 'walk',
  });
});
after(async () => world?.cleanup());

/** What a spec types: 'return' → CR, 'space' → ' ', a character → itself. */
const INPUT: Record<string, string> = {
  return: KEYS.enter,
  escape: KEYS.esc,
  space: KEYS.space,
  tab: KEYS.tab,
  backspace: KEYS.backspace,
  up: KEYS.up,
  down: KEYS.down,
};
function inputOf(action: ActionId): string {
  const spec = BINDINGS[action].keys[0];
  if (spec === 'ctrl+c') return '\u0003';
  return INPUT[spec] ?? spec;
}

/** The footer's hints, read back into actions (the footer is the frame's last line). */
function footerActions(frame: string): ActionId[] {
  const footer = frame.split('\n').at(-1)!;
  const hints = footer.split(/ {2,}/).filter(Boolean);
  return hints.map(hint => {
    const action = ACTION_IDS.find(a => `${keyLabel(BINDINGS[a].keys[0])} ${BINDINGS[a].label}` === hint.trim());
    assert.ok(action, `a footer hint that is no action: "${hint}" in\n${footer}`);
    return action;
  });
}

const settled = (f: string) => !/Loading|Planning the copy|Starting…/.test(f);

interface Place {
  readonly name: string;
  /** Keys and waits from a fresh TUI to the place; returns its frame. */
  readonly reach: (r: Tui) => Promise<string>;
}

const toBackups = (r: Tui) => r.waitFor(f => /sql-cluster/.test(f) && /web01/.test(f) && settled(f));
const toRestoreBrowser = async (r: Tui) => {
  await toBackups(r);
  await r.press('R');
  await r.waitFor(/›\s+alice-laptop/);
  await r.press(KEYS.enter);
  await r.waitFor(/pick a restore point.*\n(.*\n)*.*incremental/);
  await r.press(KEYS.enter);
  await r.waitFor(/Reason/);
  await r.press(...'walk', KEYS.enter);
  return r.waitFor(/▸ docs\//);
};

const PLACES: Place[] = [
  {name: 'backups', reach: toBackups},
  {
    name: 'backups filtering',
    reach: async r => {
      await toBackups(r);
      await r.press('/', 'w');
      return r.waitFor(/\/w▏/);
    },
  },
  {
    name: 'restore points',
    reach: async r => {
      await toBackups(r);
      await r.press('/web', KEYS.enter, KEYS.enter);
      return r.waitFor(f => /Time \(UTC\)/.test(f) && /"Copied" = on/.test(f));
    },
  },
  {
    name: 'cluster nodes',
    reach: async r => {
      await toBackups(r);
      await r.press('/sql', KEYS.enter, 'n');
      return r.waitFor(/Disks of node1/);
    },
  },
  {
    name: 'copy plan',
    reach: async r => {
      await toBackups(r);
      await r.press('/web', KEYS.enter, 'c');
      // Its own "Enter start copy" may have copied web01 already: then there is nothing left to copy.
      return r.waitFor(f => /to copy\. Enter starts the copy|Nothing to copy/.test(f) && settled(f));
    },
  },
  {
    name: 'copy plan, picking the target',
    reach: async r => {
      await toBackups(r);
      await r.press('/web', KEYS.enter, 'c');
      await r.waitFor(f => /Enter starts the copy|Nothing to copy/.test(f) && settled(f));
      await r.press('t');
      return r.waitFor(/pick a target/);
    },
  },
  {
    name: 'history',
    reach: async r => {
      await toBackups(r);
      await r.press('H');
      return r.waitFor(/\d+ past copy sessions?/);
    },
  },
  {
    name: 'jobs',
    reach: async r => {
      await toBackups(r);
      await r.press('J');
      return r.waitFor(/\d+ jobs?, \d+ running/);
    },
  },
  {
    name: 'job form',
    reach: async r => {
      await toBackups(r);
      await r.press('J');
      await r.waitFor(/\d+ jobs?, \d+ running/);
      await r.press('a');
      return r.waitFor(/New job · Enter checks and saves/);
    },
  },
  {
    name: 'repositories',
    reach: async r => {
      await toBackups(r);
      await r.press('r');
      return r.waitFor(/registered repositories/);
    },
  },
  {
    name: 'audit',
    reach: async r => {
      await toBackups(r);
      await r.press('A');
      return r.waitFor(/Hash chain intact/);
    },
  },
  {
    name: 'audit entry',
    reach: async r => {
      await toBackups(r);
      await r.press('A');
      await r.waitFor(/Hash chain intact/);
      await r.press(KEYS.enter);
      return r.waitFor(/Details/);
    },
  },
  {
    name: 'restore: backup',
    reach: async r => {
      await toBackups(r);
      await r.press('R');
      return r.waitFor(/›\s+alice-laptop/);
    },
  },
  {
    name: 'restore: point',
    reach: async r => {
      await toBackups(r);
      await r.press('R');
      await r.waitFor(/›\s+alice-laptop/);
      await r.press(KEYS.enter);
      return r.waitFor(/pick a restore point.*\n(.*\n)*.*incremental/);
    },
  },
  {
    name: 'restore: reason prompt',
    reach: async r => {
      await toBackups(r);
      await r.press('R');
      await r.waitFor(/›\s+alice-laptop/);
      await r.press(KEYS.enter);
      await r.waitFor(/pick a restore point.*\n(.*\n)*.*incremental/);
      await r.press(KEYS.enter);
      return r.waitFor(/Reason/);
    },
  },
  {name: 'restore: files', reach: toRestoreBrowser},
  {
    name: "restore: a file's details",
    reach: async r => {
      await toRestoreBrowser(r);
      await r.press(KEYS.enter, KEYS.down, KEYS.enter);
      return r.waitFor(/Details/);
    },
  },
  {
    name: 'restore: for whom',
    reach: async r => {
      await toRestoreBrowser(r);
      await r.press('t');
      return r.waitFor(/User the restored files belong to/);
    },
  },
  {
    name: 'restore: directory or archive',
    reach: async r => {
      await toRestoreBrowser(r);
      await r.press('t');
      await r.waitFor(/User the restored files belong to/);
      await r.press(...Array(10).fill(KEYS.backspace), ...'root', KEYS.enter);
      return r.waitFor(/Restore to/);
    },
  },
  {
    name: 'help',
    reach: async r => {
      await toBackups(r);
      await r.press('?');
      return r.waitFor(/Esc or \? to close/);
    },
  },
];

/** Waits until the frame differs from `before` (or the TUI quit); false if nothing changed. */
async function changed(r: Tui, before: string, quits: number): Promise<boolean> {
  try {
    await r.waitFor(f => f !== before || r.quits() > quits, 3000);
    return true;
  } catch {
    return r.quits() > quits;
  }
}

test('every footer hint on every screen does something there', async () => {
  const idle: string[] = [];
  let walked = 0;
  for (const place of PLACES) {
    const first = await openTui(SIZE);
    const actions = footerActions(await place.reach(first));
    await first.unmount();
    assert.ok(actions.length > 0, place.name);
    for (const action of actions) {
      const r = await openTui(SIZE);
      const before = await place.reach(r);
      const quits = r.quits();
      await r.press(inputOf(action));
      walked++;
      if (!(await changed(r, before, quits)))
        idle.push(`${place.name}: ${keyLabel(BINDINGS[action].keys[0])} ${BINDINGS[action].label}`);
      await r.unmount();
    }
  }
  assert.deepEqual(idle, [], 'hints that did nothing');
  assert.ok(walked >= 60, `${walked} hints pressed`);
});

test('the restore pickers offer no marks; the destination step offers no cancel until a restore runs', async () => {
  const r = await openTui(SIZE);
  await toBackups(r);
  await r.press('R');
  let frame = await r.waitFor(/›\s+alice-laptop/);
  assert.doesNotMatch(frame.split('\n').at(-1)!, /Space mark|a mark all/);
  await r.press(KEYS.space, 'a');
  assert.doesNotMatch(r.frame(), /●|marked/, 'Space and a mark nothing here');
  await r.unmount();
  const s = await openTui(SIZE);
  await toRestoreBrowser(s);
  await s.press('t');
  await s.waitFor(/User the restored files belong to/);
  await s.press(...Array(10).fill(KEYS.backspace), ...'root', KEYS.enter);
  frame = await s.waitFor(/Restore to/);
  assert.doesNotMatch(frame.split('\n').at(-1)!, /x cancel/);
  assert.match(frame.split('\n').at(-1)!, /Enter choose/);
  await s.unmount();
});

test('Enter on a file opens its details; it marks nothing', async () => {
  const r = await openTui(SIZE);
  await toRestoreBrowser(r);
  await r.press(KEYS.enter);
  await r.waitFor(/report\.txt/);
  await r.press(KEYS.down, KEYS.enter);
  const frame = await r.waitFor(/Details/);
  assert.match(frame, /Path:\s+docs\/report\.txt/);
  assert.match(frame, /Size:\s+26 B \(26 bytes\)/);
  assert.match(frame, /Marked:\s+no/);
  await r.press(KEYS.esc);
  assert.doesNotMatch(await r.waitFor(/report\.txt/), /marked/);
  await r.unmount();
});

test('J, H, A, R and r open their screen from every screen, not only Backups', async () => {
  const from: Array<[string, (r: Tui) => Promise<string>]> = [
    ['restore points', PLACES.find(p => p.name === 'restore points')!.reach],
    ['cluster nodes', PLACES.find(p => p.name === 'cluster nodes')!.reach],
    ['copy plan', PLACES.find(p => p.name === 'copy plan')!.reach],
    ['history', PLACES.find(p => p.name === 'history')!.reach],
    ['audit', PLACES.find(p => p.name === 'audit')!.reach],
    ['jobs', PLACES.find(p => p.name === 'jobs')!.reach],
    ['restore: files', toRestoreBrowser],
  ];
  const opens: Array<[string, RegExp]> = [
    ['J', /Jobs\s*$/],
    ['H', /Jobs and history/],
    ['A', /Audit log/],
    ['R', /Delegated restore/],
    ['r', /Repositories/],
  ];
  for (const [name, reach] of from) {
    for (const [key, title] of opens) {
      const r = await openTui(SIZE);
      const before = await reach(r);
      if (title.test(before.split('\n')[0]!)) {
        await r.unmount();
        continue; // already there
      }
      await r.press(key);
      const frame = await r.waitFor(f => title.test(f.split('\n')[0]!), 10_000).catch(() => r.frame());
      assert.match(frame.split('\n')[0]!, title, `${key} from ${name}`);
      assert.match(
        frame.split('\n')[0]!,
        /demo-primary ›/,
        `${key} from ${name}: the screen opens above where you were`,
      );
      await r.unmount();
    }
  }
});
