/**
 * execa's synchronous runner for the few callers that cannot await (the
 * user database behind `currentActor()` is synchronous), loaded on first use:
 * evaluating execa costs tens of milliseconds, and these calls are rare
 * (users that only NSS knows), so a start that never needs them never pays.
 *
 * Guarantees: execa is evaluated at most once per process, and only when a
 * caller asks for it. In the bundles (scripts/bundle.mjs) `require` is the
 * bundler's, which evaluates the bundled copy here; from source (tsx, an ES
 * module without `require`) Node loads the installed package.
 */
import {createRequire} from 'node:module';

type Execa = typeof import('execa');

let loaded: Execa | undefined;

function load(): Execa {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the bundler's require (see the header), synchronous on purpose
  if (typeof require === 'function') return require('execa') as Execa;
  return createRequire(import.meta.url)('execa') as Execa;
}

/** execa's `execaSync`, loading execa the first time. */
export function lazyExecaSync(): Execa['execaSync'] {
  loaded ??= load();
  return loaded.execaSync;
}
