/**
 * Loading the TUI (Ink, React, the screens and the engine code they use).
 *
 * The build ships the TUI as one CommonJS bundle, `tui.cjs`, beside the CLI's
 * ES modules, so that V8 can keep its compiled code between runs (see
 * code-cache.ts): a start of the TUI skips most of compiling it. The user's
 * cache is written once per build, two seconds after start or at exit,
 * whichever comes first, in $XDG_CACHE_HOME/backhaul (BACKHAUL_CODE_CACHE=0:
 * none read or written).
 * Unbundled (the tests run the TypeScript sources), the same module is
 * imported directly.
 */
import {existsSync} from 'node:fs';
import {fileURLToPath} from 'node:url';
import {cacheDir} from '../engine/workspace/dirs.js';
import {runBundle, type CacheState} from './code-cache.js';

type TuiModule = typeof import('../commands/tui.js');

const SAVE_AFTER_MS = 2000;

/** dist/tui.cjs when this module runs from the bundle (dist/cli.js or dist/lib/*.js), else undefined. */
function bundledTui(): string | undefined {
  for (const candidate of ['./tui.cjs', '../tui.cjs']) {
    const path = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(path)) return path;
  }
  return undefined;
}

export async function loadTui(): Promise<TuiModule & {cache: CacheState}> {
  const bundle = bundledTui();
  if (bundle === undefined) {
    // A specifier esbuild cannot follow: the shipped bundle must not carry a second copy of the TUI.
    const sources = '../commands/tui.js';
    return {...((await import(sources)) as TuiModule), cache: 'off'};
  }
  const loaded = await runBundle<TuiModule>(bundle, process.env.BACKHAUL_CODE_CACHE === '0' ? undefined : cacheDir());
  if (loaded.cache === 'seed' || loaded.cache === 'none') {
    setTimeout(loaded.save, SAVE_AFTER_MS).unref();
    process.once('exit', loaded.save);
  }
  return {...loaded.exports, cache: loaded.cache};
}
