/**
 * Real OS users and the documented sudo rule, for the end-to-end access
 * tests. Each test file installs the CLI bundle under its own
 * /opt/backhaul-e2e-LABEL (root-owned, world-readable) with its own sudoers
 * file, so files running at once do not trip over each other:
 *   ALL ALL=(root) NOPASSWD: /usr/bin/node /opt/backhaul-e2e-LABEL/cli.js *
 * Users alice and bob, and hadmin in group backhaul-admins, are created once
 * and left in place (creating them again is a no-op). Needs root, sudo,
 * runuser, useradd and visudo. Not a test file.
 */
import * as fs from 'node:fs/promises';
import {join} from 'node:path';
import {execa, execaSync} from 'execa';
import {cliPath, collect, type Result} from './demo-cache.js';

export const NODE = '/usr/bin/node';
export const CLEAN_ENV = {PATH: '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin', NO_COLOR: '1', LANG: 'C.UTF-8'};
const has = (cmd: string) => execaSync('sh', ['-c', `command -v ${cmd}`], {reject: false}).exitCode === 0;

/** Why these tests cannot run here, or false. */
export async function sudoSkipReason(): Promise<string | false> {
  if (process.getuid?.() !== 0) return 'needs root (CI runs as root)';
  if (!['sudo', 'runuser', 'useradd', 'visudo'].every(has)) return 'needs sudo, runuser, useradd and visudo';
  if (
    !(await fs.stat(NODE).then(
      () => true,
      () => false,
    ))
  )
    return `needs node at ${NODE} (the sudo rule names it)`;
  return false;
}

export function sh(cmd: string, args: string[]): string {
  const r = execaSync(cmd, args, {reject: false, stripFinalNewline: false});
  if (r.exitCode !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr || r.message}`);
  return r.stdout;
}

export const uidOf = (name: string) => Number(execaSync('id', ['-u', name], {reject: false}).stdout.trim());

export function ensureUsers(): Record<string, number> {
  sh('groupadd', ['-f', 'backhaul-admins']);
  const uids: Record<string, number> = {};
  for (const name of ['alice', 'bob', 'hadmin']) {
    if (execaSync('id', ['-u', name], {reject: false}).exitCode !== 0) sh('useradd', ['-m', '-s', '/bin/sh', name]);
    uids[name] = uidOf(name);
  }
  sh('usermod', ['-aG', 'backhaul-admins', 'hadmin']);
  for (const name of ['alice', 'bob']) execaSync('gpasswd', ['-d', name, 'backhaul-admins'], {reject: false}); // not a member: fine
  return uids;
}

export interface SudoInstall {
  cli: string;
  /** `runuser -u USER -- [sudo -n] node CLI ARGS` with a clean environment. */
  as(user: string, args: string[], options?: {sudo?: boolean; cwd?: string; timeoutMs?: number}): Promise<Result>;
  remove(): Promise<void>;
}

export async function installSudoCli(label: string): Promise<SudoInstall> {
  const install = `/opt/backhaul-e2e-${label}`;
  const sudoers = `/etc/sudoers.d/backhaul-test-${label}`;
  const built = await cliPath();
  await fs.rm(install, {recursive: true, force: true});
  sh('cp', ['-a', join(built, '..'), install]);
  sh('chown', ['-R', 'root:root', install]);
  sh('chmod', ['-R', 'u=rwX,go=rX', install]);
  const rule = `# backhaul e2e test (${label}); removed when the test ends\nALL ALL=(root) NOPASSWD: ${NODE} ${install}/cli.js *\n`;
  await fs.writeFile(`${sudoers}.tmp`, rule, {mode: 0o440});
  sh('visudo', ['-cf', `${sudoers}.tmp`]);
  await fs.rename(`${sudoers}.tmp`, sudoers);
  const cli = `${install}/cli.js`;
  return {
    cli,
    as(user, args, options = {}) {
      const cmd =
        options.sudo === false
          ? ['-u', user, '--', NODE, cli, ...args]
          : ['-u', user, '--', 'sudo', '-n', NODE, cli, ...args];
      const child = execa('runuser', cmd, {
        cwd: options.cwd ?? '/',
        env: CLEAN_ENV,
        extendEnv: false,
        stdin: 'ignore',
        buffer: false,
        reject: false,
      });
      return collect(child, options.timeoutMs);
    },
    async remove() {
      await fs.rm(sudoers, {force: true});
      await fs.rm(install, {recursive: true, force: true});
    },
  };
}
