/**
 * Where Backhaul keeps its own files on this host: configuration under
 * $XDG_CONFIG_HOME/backhaul, data (the demo workspace, session history) under
 * $XDG_DATA_HOME/backhaul, what may be deleted at any time under
 * $XDG_CACHE_HOME/backhaul, and evidence kept outside repositories (audit
 * anchors, refused attempts) in the state directory — root's is
 * /var/lib/backhaul, which no caller can name or own.
 *
 * Through sudo the caller's environment is not believed (sudoers may keep HOME
 * or XDG_* variables): root's directories come from the password database, so
 * a caller can never make root read a configuration — registered
 * repositories — of theirs.
 */
import {homedir, userInfo} from 'node:os';
import {isAbsolute, join} from 'node:path';
import {actingForSudoCaller} from '../util/sudo-caller.js';

/** An XDG base directory (see the header for sudo). */
function baseDir(variable: string, fallback: string[]): string {
  if (actingForSudoCaller()) return join(userInfo().homedir, ...fallback);
  return process.env[variable] || join(homedir(), ...fallback);
}

export function configDir(): string {
  return join(baseDir('XDG_CONFIG_HOME', ['.config']), 'backhaul');
}
export function dataDir(): string {
  return join(baseDir('XDG_DATA_HOME', ['.local', 'share']), 'backhaul');
}
/** What may be deleted at any time (the TUI's compiled-code cache). */
export function cacheDir(): string {
  return join(baseDir('XDG_CACHE_HOME', ['.cache']), 'backhaul');
}

/** What stateDir reads from the process, as plain input so it can be tested. */
export interface StateProcess {
  uid: number;
  env: Record<string, string | undefined>;
}

const currentProcess = (): StateProcess => ({uid: process.getuid?.() ?? -1, env: process.env});

/** Root's state directory: fixed, so that no caller can name or own it. */
export const ROOT_STATE_DIR = '/var/lib/backhaul';

/**
 * Where evidence kept outside repositories lives (audit anchors, refused
 * attempts). As uid 0 — root itself or root acting for a sudo caller — it is
 * /var/lib/backhaul, never a directory the caller names: BACKHAUL_STATE_DIR
 * moves it only for root without sudo (tests, which run as root, must not
 * write the real one). Other users keep theirs in $XDG_STATE_HOME/backhaul.
 */
export function stateDir(proc: StateProcess = currentProcess()): string {
  if (proc.uid === 0) {
    // Any SUDO_UID at all (even root's own) keeps the fixed place: the override is for tests run as root.
    const viaSudo = proc.env['SUDO_UID'] !== undefined && proc.env['SUDO_UID'] !== '';
    const override = proc.env['BACKHAUL_STATE_DIR'];
    return !viaSudo && override && isAbsolute(override) ? override : ROOT_STATE_DIR;
  }
  const xdg = proc.env['XDG_STATE_HOME'];
  return join(xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.local', 'state'), 'backhaul');
}
