// Prints the README's key table (Markdown), generated from source/ui/keymap.ts,
// so the README can never disagree with the footer or the help overlay.
// Usage: node --import tsx scripts/keys-table.mjs > /tmp/keys.md
import {keysMarkdown} from '../source/ui/key-hints.ts';

process.stdout.write(keysMarkdown());
