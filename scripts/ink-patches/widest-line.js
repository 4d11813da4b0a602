// widest-line as Ink's files get it in the bundle (scripts/ink-patches.mjs):
// the same function, its answers kept across frames.
import widestLine from 'widest-line';
import {memoize} from 'backhaul-source:ui/ink/bounded-cache.ts';

export default memoize(widestLine, 8192);
