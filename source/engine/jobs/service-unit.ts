/**
 * The systemd unit `backhaul service install` writes: the scheduler in the
 * foreground (ExecStart: the absolute paths of node and of this CLI),
 * restarted on failure, as the given user with that user's XDG directories
 * written out (a unit has no login environment), so the service sees the
 * same configuration — repositories, jobs, history — as that user's
 * commands. KillMode=process: stopping or restarting the service ends the
 * scheduler only; runs it started are their own sessions and finish (`job
 * stop` ends one).
 */
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {BackhaulError, quoted} from '../errors.js';

export interface UnitUser {
  name: string;
  home: string;
  configHome: string;
  dataHome: string;
}

/** A user's name and home from /etc/passwd (exit 13 if there is none). */
export function passwdUser(name: string, passwd = '/etc/passwd'): {name: string; home: string} {
  for (const line of readFileSync(passwd, 'utf8').split('\n')) {
    const f = line.split(':');
    if (f[0] === name && f.length >= 7) return {name, home: f[5]!};
  }
  throw new BackhaulError(
    'not-found',
    `No user ${quoted(name)} on this host.`,
    'Name an existing account with --user (see /etc/passwd).',
  );
}

/** `user`'s XDG dirs: the given ones (this process's, for its own user), else the defaults under the home. */
export function unitUser(name: string, home: string, xdg: {config?: string; data?: string} = {}): UnitUser {
  return {
    name,
    home,
    configHome: xdg.config ?? join(home, '.config'),
    dataHome: xdg.data ?? join(home, '.local', 'share'),
  };
}

const quote = (s: string) => (/^[A-Za-z0-9_./@:+-]+$/.test(s) ? s : `"${s.replace(/(["\\])/g, '\\$1')}"`);

export function serviceUnit(user: UnitUser, node: string, cli: string): string {
  return `# Written by \`backhaul service install\`.
[Unit]
Description=Backhaul backup copy jobs (scheduler)
Documentation=https://github.com/backhaul/backhaul#backup-copy-jobs
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
User=${user.name}
Environment=HOME=${quote(user.home)}
Environment=XDG_CONFIG_HOME=${quote(user.configHome)}
Environment=XDG_DATA_HOME=${quote(user.dataHome)}
ExecStart=${quote(node)} ${quote(cli)} service
Restart=on-failure
RestartSec=10
# Runs are their own sessions: stopping the scheduler does not end them.
KillMode=process

[Install]
WantedBy=multi-user.target
`;
}
