// Runs a worker's TypeScript entry from source (tests, `node --import tsx`):
// Node 20 gives a worker neither the `--import` flags nor the loader hooks of
// the thread that started it, so the worker registers tsx itself and then
// imports its entry, the last argument start.ts gave it. The shipped bundle
// starts dist/<name>.js instead and never loads this file.
import {register} from 'tsx/esm/api';

register();
await import(process.argv.at(-1));
