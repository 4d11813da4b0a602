/** `backhaul demo`: build (or rebuild) the demo workspace. */
import {buildDemo} from '../engine/demo/workspace.js';
import {defineCommand, flag, type Command} from './command.js';
import {option} from './options.js';
import {createProgress} from './render/progress.js';
import {printJson} from './render/output.js';

/** Builds the demo if missing, with a visible progress display; used by `npm start`. */
export async function ensureDemo(
  stream: NodeJS.WritableStream & {isTTY?: boolean},
  reset: boolean,
  json = false,
  signal?: AbortSignal,
) {
  const view = createProgress(stream, json);
  const started = Date.now();
  try {
    const result = await buildDemo({
      reset,
      signal,
      onProgress: p =>
        view.update('demo', {label: 'building demo', done: p.step, total: p.steps, detail: p.label, unit: 'items'}),
    });
    view.stop();
    if (result.built && !json)
      stream.write(`Demo workspace built in ${((Date.now() - started) / 1000).toFixed(1)} s.\n`);
    return result;
  } finally {
    view.stop();
  }
}

export const demo: Command = defineCommand({
  name: 'demo',
  summary: 'build the demo workspace (demo-primary with agent backups, empty demo-secondary)',
  usage: 'Usage: backhaul demo [--reset] [--json]',
  description: `Builds, under $XDG_DATA_HOME/backhaul/demo, a primary repository registered as
demo-primary and an empty secondary registered as demo-secondary. demo-primary is
filled through the real agent code path: three workstations (alice, bob, carol),
two servers (one file-level, one volume-level with an ext4 image) and a three-node
failover cluster with two shared disks, each with a full and three incremental
restore points. Deterministic; about 200 MB; built in well under a minute.
An existing complete demo is kept unless --reset.`,
  options: [
    option.flag('reset', 'delete the demo workspace (both repositories) and build it again'),
    option.flag('json', 'print the locations as JSON'),
  ],
  after: `Try next:
  backhaul list --repo demo-primary
  backhaul copy --from demo-primary --to demo-secondary --points all`,
  async run(ctx, values) {
    const json = flag(values, 'json');
    const result = await ensureDemo(ctx.err, flag(values, 'reset'), json, ctx.signal);
    if (json) printJson(ctx, result);
    else
      ctx.out.write(
        `demo-primary:   ${result.primary}\ndemo-secondary: ${result.secondary}${result.built ? '' : '\n(already built; --reset rebuilds it)'}\n`,
      );
    return 0;
  },
});
