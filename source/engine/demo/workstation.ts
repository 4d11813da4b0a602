/**
 * A demo workstation's home directory (~20-40 MB): documents, source code,
 * photos and a video (incompressible), a mailbox and logs that grow, dotfiles
 * with private modes, symlinks (one dangling), empty directories, and names with
 * spaces, quotes and non-ASCII letters. `mutateWorkstation` moves it from one
 * restore point's state to the next like a person's day of work would.
 */
import {readFile} from 'node:fs/promises';
import type {Rng} from './random.js';
import type {TreeWriter} from './tree-writer.js';

const DAY = 86_400;
const ODD_NAMES = [
  'Meeting notes (final).txt',
  'résumé.md',
  '日本語のメモ.txt',
  'naïve café menu.txt',
  "it's done & dusted.txt",
  'emoji 🎉 party plan.md',
  ' leading space.txt',
  'UPPER lower.MiXeD',
];
const PROJECTS = ['inventory-api', 'dotfiles', 'garden-planner'];

/** Writes the state-0 home directory at `home` (staging-relative). */
export async function buildWorkstation(
  w: TreeWriter,
  home: string,
  owner: string,
  rng: Rng,
  now: number,
): Promise<void> {
  const past = () => now - rng.int(DAY, 300 * DAY);
  await w.dir(home, 0o755);
  await w.file(`${home}/.bashrc`, `# ~/.bashrc for ${owner}\n${rng.config(12)}`, {mtime: past()});
  await w.file(`${home}/.profile`, rng.config(6), {mtime: past()});
  await w.file(`${home}/.bash_history`, historyLines(rng, 400), {mode: 0o600, mtime: past()});
  await w.dir(`${home}/.ssh`, 0o700);
  await w.file(`${home}/.ssh/id_ed25519`, keyText(rng), {mode: 0o600, mtime: past()});
  await w.file(`${home}/.ssh/known_hosts`, rng.prose(2000), {mtime: past()});
  for (const app of ['editor', 'mail', 'browser', 'backhaul-agent']) {
    await w.file(`${home}/.config/${app}/settings.ini`, rng.config(rng.int(10, 60)), {mtime: past()});
  }
  await w.file(`${home}/.local/share/backhaul/agent.log`, rng.log(8_000, now - 30 * DAY, `${owner}-pc`).data, {
    mtime: now,
  });
  await w.dir(`${home}/.cache`);
  await w.dir(`${home}/Music`);
  await w.dir(`${home}/Downloads`);
  for (let i = 0; i < 30; i++) {
    await w.file(
      `${home}/Documents/Reports/report ${2023 + (i % 2)}-Q${(i % 4) + 1} ${rng.word()}-${i}.txt`,
      rng.prose(rng.int(8_000, 60_000)),
      {mtime: past()},
    );
  }
  for (let i = 0; i < 40; i++) {
    await w.file(
      `${home}/Documents/Notes/${rng.word()}-${rng.word()}-${i}.md`,
      `# ${rng.sentence()}\n\n${rng.prose(rng.int(300, 4000))}`,
      {mtime: past()},
    );
  }
  for (const name of ODD_NAMES)
    await w.file(`${home}/Documents/${name}`, rng.prose(rng.int(500, 6000)), {mtime: past()});
  await w.file(`${home}/Documents/Finance/budget 2024.csv`, csv(rng, 2000), {mtime: past()});
  for (const project of rng.sample(PROJECTS, 2)) await buildProject(w, `${home}/Projects/${project}`, rng, past);
  for (let i = 1; i <= 24; i++) {
    await w.file(`${home}/Pictures/2024/IMG_${String(i).padStart(4, '0')}.jpg`, rng.bytes(rng.int(120_000, 600_000)), {
      mtime: past(),
    });
  }
  await w.file(`${home}/Videos/holiday.mp4`, rng.bytes(rng.int(5, 8) << 20), {mtime: past()});
  await w.file(`${home}/Mail/inbox.mbox`, mail(rng, 2_500_000, now - 60 * DAY), {mode: 0o600, mtime: now});
  await w.file(`${home}/bin/sync-photos.sh`, `#!/bin/sh\n${rng.code(1500)}`, {mode: 0o755, mtime: past()});
  await w.symlink(`${home}/Desktop/Projects`, '../Projects', past());
  await w.symlink(`${home}/Desktop/latest report.txt`, '../Documents/Meeting notes (final).txt', past());
  await w.symlink(`${home}/Desktop/old share`, '/mnt/share/old', past());
  if (rng.chance(0.5) || owner === 'bob') {
    const extents = [0, 3, 7, 12].map(mib => ({offset: mib << 20, data: rng.bytes(256 << 10)}));
    await w.sparse(`${home}/VMs/dev disk.img`, 16 << 20, extents, past());
  }
}

async function buildProject(w: TreeWriter, dir: string, rng: Rng, past: () => number): Promise<void> {
  await w.file(`${dir}/README.md`, `# ${rng.sentence()}\n\n${rng.prose(3000)}`, {mtime: past()});
  await w.file(`${dir}/package.json`, JSON.stringify({name: dir.split('/').pop(), version: '1.0.0'}, null, 2) + '\n', {
    mtime: past(),
  });
  for (let i = 0; i < 45; i++) {
    await w.file(
      `${dir}/src/${rng.pick(['lib', 'app', 'util', 'api'])}/${rng.word()}-${i}.ts`,
      rng.code(rng.int(800, 12_000)),
      {mtime: past()},
    );
  }
  await w.dir(`${dir}/dist`);
}

/** One day of work: edits, appends, new files, a deletion, a rename. */
export async function mutateWorkstation(w: TreeWriter, home: string, rng: Rng, state: number): Promise<void> {
  const victims = (await w.files(`${home}/Pictures`)).concat(await w.files(`${home}/Documents/Notes`));
  await w.remove(rng.pick(victims));
  const notes = await w.files(`${home}/Documents/Notes`);
  const moved = rng.pick(notes);
  await w.rename(moved, `${home}/Documents/Archive/${moved.split('/').pop()}`);
  const docs = await w.files(`${home}/Documents`);
  for (const doc of rng.sample(
    docs.filter(p => /\.(txt|md)$/.test(p)),
    3,
  )) {
    const text = await readFile(w.abs(doc), 'utf8');
    const cut = Math.floor(text.length * rng.float());
    await w.file(doc, text.slice(0, cut) + rng.prose(rng.int(200, 3000)) + text.slice(cut));
  }
  await w.append(`${home}/.bash_history`, historyLines(rng, 40));
  await w.append(`${home}/.local/share/backhaul/agent.log`, rng.log(600, w.time - DAY, 'pc').data);
  await w.append(`${home}/Mail/inbox.mbox`, mail(rng, rng.int(50_000, 200_000), w.time - DAY));
  await w.file(`${home}/Documents/Notes/day ${state} ${rng.word()}.md`, rng.prose(rng.int(500, 5000)));
  await w.file(`${home}/Pictures/2025/IMG_${9000 + state}.jpg`, rng.bytes(rng.int(150_000, 500_000)));
  if (state === 2) await w.file(`${home}/Downloads/installer-${rng.word()}.tar.gz`, rng.bytes(3 << 20));
  if (await w.exists(`${home}/VMs/dev disk.img`)) {
    for (let i = 0; i < 3; i++) await w.patch(`${home}/VMs/dev disk.img`, rng.int(0, 255) * 65536, rng.bytes(65536));
  }
}

function historyLines(rng: Rng, count: number): string {
  const cmds = ['ls -la', 'cd', 'git status', 'git pull', 'npm test', 'vim', 'ssh', 'make', 'less', 'grep -r'];
  let out = '';
  for (let i = 0; i < count; i++) out += `${rng.pick(cmds)} ${rng.word()}\n`;
  return out;
}

function keyText(rng: Rng): string {
  const body = rng.bytes(300).toString('base64').replace(/.{70}/g, '$&\n');
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${body}\n-----END OPENSSH PRIVATE KEY-----\n`;
}

function csv(rng: Rng, rows: number): string {
  let out = 'date,category,description,amount\n';
  for (let i = 0; i < rows; i++)
    out += `2024-${1 + (i % 12)}-${1 + (i % 28)},${rng.word()},${rng.word()} ${rng.word()},${rng.int(1, 99999) / 100}\n`;
  return out;
}

export function mail(rng: Rng, size: number, start: number): string {
  const parts: string[] = [];
  for (let n = 0, t = start; n < size; t += rng.int(60, 7200)) {
    const body = `From ${rng.word()}@example.com ${new Date(t * 1000).toUTCString()}\nSubject: ${rng.sentence()}\n\n${rng.prose(rng.int(500, 8000))}\n`;
    parts.push(body);
    n += body.length;
  }
  return parts.join('');
}
