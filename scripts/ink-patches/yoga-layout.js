// yoga-layout as the TUI's script bundle has it (scripts/ink-patches.mjs).
// A CommonJS bundle cannot hold the top-level await of yoga's entry, so this
// one starts yoga's public loader (`yoga-layout/load`), hands the promise to
// the bundle's loader (`__backhaulPending`, a parameter of the bundle's
// function: source/boot/code-cache.ts awaits it before anything runs) and
// fills the default export in place; Ink reads it only to lay out a frame.
// Yoga decodes its module through `fetch` when fetch exists, and Node's first
// fetch loads its whole HTTP client: fetch is hidden until the load is done.
/* global __backhaulPending -- a parameter of the bundle's function (source/boot/bundle-params.json) */
import {loadYoga} from 'yoga-layout/load';

export * from 'yoga-layout/load';

const Yoga = {};
const fetch = Object.getOwnPropertyDescriptor(globalThis, 'fetch');
const hide = fetch?.configurable === true;
if (hide) Object.defineProperty(globalThis, 'fetch', {value: undefined, configurable: true, writable: true});
__backhaulPending.push(
  loadYoga()
    .then(yoga => Object.assign(Yoga, yoga))
    .finally(() => hide && Object.defineProperty(globalThis, 'fetch', fetch)),
);

export default Yoga;
