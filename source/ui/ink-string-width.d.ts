/**
 * `ink-string-width` is Ink's own string-width (tsconfig.json `paths` maps it
 * to the copy Ink resolves, nested in Ink's node_modules); its declarations,
 * as that package ships them (index.d.ts), for the name we import it by.
 */
declare module 'ink-string-width' {
  export interface Options {
    /** Count ambiguous-width characters as one cell (true: string-width's default). */
    readonly ambiguousIsNarrow?: boolean;
    /** Count the characters of ANSI escape codes (false: string-width's default). */
    readonly countAnsiEscapeCodes?: boolean;
  }
  /** Cells `string` takes in a terminal. */
  export default function stringWidth(string: string, options?: Options): number;
}
