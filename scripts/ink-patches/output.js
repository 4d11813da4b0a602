// Ink's build/output.js as the bundle has it (scripts/ink-patches.mjs): the
// Output class of source/ui/ink/output.ts, built on the very text helpers
// Ink's own output.js imports (this file is resolved from Ink's directory).
import sliceAnsi from 'slice-ansi';
import stringWidth from 'string-width';
import {styledCharsFromTokens, styledCharsToString, tokenize} from '@alcalzone/ansi-tokenize';
import {createOutputClass} from 'backhaul-source:ui/ink/output.ts';

export default createOutputClass({sliceAnsi, stringWidth, tokenize, styledCharsFromTokens, styledCharsToString});
