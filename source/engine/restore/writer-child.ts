/**
 * The restore writer as a child process that drops root's rights, for good,
 * to the recipient's before it does anything else (`--uid --gid --user`),
 * then writes the plan it is sent (writer-protocol.ts) with tree-writer.ts.
 * The kernel then enforces that it writes only where the recipient may, and
 * everything it creates belongs to the recipient: no switch of the parent's
 * credentials, nothing that could run with root's rights by mistake.
 *
 * Started by writer-client.ts; bundled as dist/restore-writer.js.
 */
import {once} from 'node:events';
import {BackhaulError, cancelled} from '../errors.js';
import {dropPrivileges} from './drop-privileges.js';
import {writeTree} from './write-tree.js';
import {errorMessage, FRAME, FrameReader, type ChildMessage, type PlanMessage} from './writer-protocol.js';

function argument(name: string): string {
  const at = process.argv.indexOf(`--${name}`);
  const value = at >= 0 ? process.argv[at + 1] : undefined;
  if (value === undefined) throw new Error(`missing --${name}`);
  return value;
}

async function send(message: ChildMessage): Promise<void> {
  if (!process.stdout.write(JSON.stringify(message) + '\n')) await once(process.stdout, 'drain');
}

const aborted = () => new BackhaulError('cancelled', 'The restore was stopped.', 'Nothing half-written was left.');

async function* fileData(reader: FrameReader): AsyncIterable<Buffer> {
  for (;;) {
    const f = await reader.next();
    if (!f || f.kind === FRAME.abort) throw aborted();
    if (f.kind === FRAME.end) return;
    if (f.kind !== FRAME.data) throw new Error(`unexpected frame ${f.kind} inside a file`);
    yield f.payload;
  }
}

async function main(): Promise<void> {
  dropPrivileges({uid: Number(argument('uid')), gid: Number(argument('gid')), user: argument('user')});
  process.chdir('/');
  const reader = new FrameReader(process.stdin);
  const first = await reader.next();
  if (!first || first.kind !== FRAME.plan) throw aborted();
  const job = JSON.parse(first.payload.toString('utf8')) as PlanMessage;
  const outcome = await writeTree(job, () => fileData(reader), {
    onPlaced: () => send({type: 'placed'}),
    onFile: index => void send({type: 'file', index}),
  });
  const last = await reader.next();
  if (!last || last.kind !== FRAME.finish) throw cancelled();
  await send({type: 'done', outcome});
}

main().then(
  () => process.exit(0),
  async (e: unknown) => {
    await send(errorMessage(e)).catch(() => undefined);
    process.exit(1);
  },
);
