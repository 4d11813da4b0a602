/**
 * Everything people read about keys, generated from the one table in
 * keymap.ts: the footer hints of a screen, the help overlay's groups and the
 * README's Markdown key table. Nothing here knows a key by heart.
 */
import {ACTION_IDS, BINDINGS, HELP_GROUPS, keyLabel, type ActionId, type HelpGroup} from './keymap.js';

export interface FooterHint {
  readonly action: ActionId;
  readonly key: string;
  readonly label: string;
}

/** The footer's hints for a screen: its actions, then the global ones, each once, movement keys left out. */
export function footerHints(
  actions: readonly ActionId[],
  globals: readonly ActionId[] = ['help.toggle', 'app.quit'],
): FooterHint[] {
  const all = [...new Set([...actions, ...globals])];
  return all
    .filter(action => BINDINGS[action].footer !== false)
    .map(action => ({action, key: keyLabel(BINDINGS[action].keys[0]), label: BINDINGS[action].label}));
}

export const hintText = (h: FooterHint) => `${h.key} ${h.label}`;

/**
 * Hints that fit in `width` columns when joined by two spaces. The last hint
 * (help) is kept whatever happens, because it is the way to learn the rest.
 */
export function fitHints(hints: readonly FooterHint[], width: number): FooterHint[] {
  if (hints.length === 0) return [];
  const help = hints.find(h => h.action === 'help.toggle');
  const rest = hints.filter(h => h !== help);
  const kept: FooterHint[] = [];
  let used = help ? hintText(help).length : 0;
  for (const h of rest) {
    const cost = hintText(h).length + 2;
    if (used + cost > width) break;
    kept.push(h);
    used += cost;
  }
  return help ? [...kept, help] : kept;
}

export interface HelpRow {
  readonly action: ActionId;
  readonly keys: string;
  readonly description: string;
}
export interface HelpSection {
  readonly group: HelpGroup;
  readonly rows: readonly HelpRow[];
}

/** The help overlay's sections for the given actions (all actions when omitted), in the table's group order. */
export function helpSections(actions: readonly ActionId[] = ACTION_IDS): HelpSection[] {
  const wanted = new Set(actions);
  return HELP_GROUPS.map(group => ({
    group,
    rows: ACTION_IDS.filter(action => wanted.has(action) && BINDINGS[action].group === group).map(action => ({
      action,
      keys: BINDINGS[action].keys.map(keyLabel).join(' '),
      description: BINDINGS[action].description,
    })),
  })).filter(section => section.rows.length > 0);
}

/** The README's key table (Markdown), one row per action, grouped. */
export function keysMarkdown(): string {
  const cell = (s: string) => s.replaceAll('|', '\\|');
  const lines = ['| group | keys | action |', '| --- | --- | --- |'];
  for (const section of helpSections()) {
    for (const row of section.rows) {
      const keys = BINDINGS[row.action].keys.map(k => `\`${cell(keyLabel(k))}\``).join(' ');
      lines.push(`| ${section.group} | ${keys} | ${cell(row.description)} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}
