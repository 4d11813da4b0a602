// Bundles the CLI (and its worker threads) with esbuild: one ESM file starts
// in a fraction of the time of plain tsc output (bench/tui.ts measures start-up).
// The options live in bundle.mjs, shared with the tests.
import {build} from 'esbuild';
import {chmod, rm} from 'node:fs/promises';
import {buildBundles} from './bundle.mjs';

// Old chunks have hashed names: without this, dist/lib grows at every build.
await rm('dist', {recursive: true, force: true});
await buildBundles(build, 'dist');
await chmod('dist/cli.js', 0o755);
