/**
 * Semantic colours. Components ask for `theme.error`, never for "red", so the
 * whole TUI turns plain at once when NO_COLOR is set (https://no-color.org:
 * present and not empty). Without colour, selection and state stay readable
 * because components also mark them with characters (›, ●, ✓, ✗).
 */
import {createContext, useContext} from 'react';

/** Props spread onto Ink's `<Text>`. */
export interface TextStyle {
  readonly color?: string;
  readonly backgroundColor?: string;
  readonly bold?: boolean;
  readonly dimColor?: boolean;
  readonly inverse?: boolean;
}

export interface Theme {
  readonly color: boolean;
  readonly accent: TextStyle;
  readonly muted: TextStyle;
  readonly ok: TextStyle;
  readonly warn: TextStyle;
  readonly error: TextStyle;
  readonly selection: TextStyle;
  readonly marked: TextStyle;
  readonly heading: TextStyle;
}

export const colorTheme: Theme = {
  color: true,
  accent: {color: 'cyan'},
  muted: {color: 'gray'},
  ok: {color: 'green'},
  warn: {color: 'yellow'},
  error: {color: 'red', bold: true},
  selection: {color: 'black', backgroundColor: 'cyan'},
  marked: {color: 'magenta'},
  heading: {bold: true, color: 'cyan'},
};

export const plainTheme: Theme = {
  color: false,
  accent: {},
  muted: {},
  ok: {},
  warn: {},
  error: {},
  selection: {},
  marked: {},
  heading: {},
};

/** True when NO_COLOR asks for no colour. */
export const noColor = (env: NodeJS.ProcessEnv = process.env) => (env.NO_COLOR ?? '') !== '';

export const themeFor = (env: NodeJS.ProcessEnv = process.env): Theme => (noColor(env) ? plainTheme : colorTheme);

export const ThemeContext = createContext<Theme>(themeFor());
export const useTheme = () => useContext(ThemeContext);
