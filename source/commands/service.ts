/**
 * `backhaul service` (the scheduler in the foreground: what systemd's
 * ExecStart runs; one per configuration) and `backhaul service install`
 * (writes the systemd unit and says how to enable it). The service's events
 * are printed one line each on stdout, for the journal.
 */
import {realpathSync} from 'node:fs';
import {writeFile} from 'node:fs/promises';
import {userInfo} from 'node:os';
import {dirname} from 'node:path';
import {fromSystemError} from '../engine/errors.js';
import {runService, type ServiceEvent} from '../engine/jobs/index.js';
import {passwdUser, serviceUnit, unitUser} from '../engine/jobs/service-unit.js';
import {configDir, dataDir} from '../engine/workspace/dirs.js';
import {defineCommand, str, type Command, type CommandContext} from './command.js';
import {option} from './options.js';
import {safeText} from './render/output.js';

function eventLine(e: ServiceEvent): string {
  switch (e.type) {
    case 'service.start':
      return `service started (pid ${e.pid}), ${e.jobs} job(s)`;
    case 'run.start':
      return `job ${e.job}: ${e.kind === 'health' ? 'health check' : 'run'} ${e.runId} started (${e.trigger}, pid ${e.pid})`;
    case 'run.end':
      return `job ${e.job}: run ${e.runId} ended ${e.result} (exit ${e.exitCode})`;
    case 'service.error':
      return `${e.job ? `job ${e.job}: ` : ''}error: ${e.message}`;
    case 'service.stop':
      return 'service stopped';
  }
}

export const service: Command = defineCommand({
  name: 'service',
  summary: 'run the job scheduler in the foreground (what the systemd unit runs)',
  usage: 'Usage: backhaul service',
  description: `Runs every enabled saved job: immediate jobs copy each new restore point of their
source within seconds of its commit (the source is polled every 4 s); periodic
jobs run on their interval or cron expression; nothing starts inside a job's copy
window; health checks run on their schedule. Each run is a detached process of
its own (\`backhaul job status\`, \`attach\`, \`job stop\` see it), so restarting
the service does not end runs. A failed periodic run is retried up to 3 times,
30 s apart; a failed immediate one up to 3 times, 5 min apart, or at once when a
new restore point appears.

One service per configuration: a second is refused (exit 11) naming the one that
runs. SIGTERM or Ctrl-C stops the scheduler. Install it with \`backhaul service
install\`.`,
  options: [],
  async run(ctx) {
    const say = (e: ServiceEvent) => ctx.out.write(`${new Date().toISOString()} ${safeText(eventLine(e))}\n`);
    await runService({signal: ctx.signal, onEvent: say});
    return 0;
  },
});

function cliPath(): string {
  return realpathSync(process.argv[1]!);
}

export const serviceInstall: Command = defineCommand({
  name: 'service install',
  summary: 'write the systemd unit that runs `backhaul service`',
  usage: 'Usage: backhaul service install [--user USER] [--output PATH]',
  description: `Writes /etc/systemd/system/backhaul.service (or PATH): ExecStart runs this
node and this CLI by absolute path, as USER (default: you) with USER's XDG
configuration and data directories (yours as they are set now, when USER is you),
Restart=on-failure. Then enable it with
  systemctl daemon-reload && systemctl enable --now backhaul`,
  options: [
    option.text('user', 'USER', 'the account the service runs as', {default: 'you'}),
    option.text('output', 'PATH', 'where to write the unit', {default: '/etc/systemd/system/backhaul.service'}),
  ],
  async run(ctx: CommandContext, values) {
    const me = userInfo().username;
    const name = str(values, 'user') ?? me;
    const user =
      name === me
        ? unitUser(me, process.env['HOME'] || userInfo().homedir, {
            config: dirname(configDir()),
            data: dirname(dataDir()),
          })
        : (({home}) => unitUser(name, home))(passwdUser(name));
    const path = str(values, 'output') ?? '/etc/systemd/system/backhaul.service';
    try {
      await writeFile(path, serviceUnit(user, process.execPath, cliPath()), {mode: 0o644});
    } catch (e) {
      throw fromSystemError(e, path) ?? e;
    }
    ctx.out.write(
      `Wrote ${safeText(path)} (runs as ${safeText(user.name)}, configuration in ${safeText(user.configHome)}).\nEnable it with:\n  systemctl daemon-reload && systemctl enable --now backhaul\n`,
    );
    return 0;
  },
});

/** `backhaul _run RUN`: the detached child a run is (engine/jobs/start.ts); not for people. */
export const runInternal: Command = defineCommand({
  name: '_run',
  summary: 'the process of a detached run (started by `job run`, `copy --detach` and the service)',
  usage: 'Usage: backhaul _run RUN',
  description: 'Runs the run RUN whose spec was saved by the command that started it.',
  options: [],
  positionals: true,
  hidden: true,
  async run(ctx, _values, positionals) {
    const {executeRun} = await import('../engine/operations/job-run.js');
    return executeRun(positionals[0] ?? '', ctx.signal);
  },
});
