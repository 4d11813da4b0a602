// string-width as ES modules get it in the bundle (scripts/ink-patches.mjs):
// the fast path of source/ui/ink/fast-text.ts first; the real module, the copy
// the importer resolves, is evaluated only when text needs it (`require` is
// the bundler's: the module stays out of start-up until then).
import {simpleWidth} from 'backhaul-source:ui/ink/fast-text.ts';

let real;

export default function stringWidth(text, options) {
  if (options === undefined) {
    const width = simpleWidth(text);
    if (width >= 0) return width;
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the bundler's require: evaluated on first need, not at start-up
  real ??= require('string-width').default;
  return real(text, options);
}
