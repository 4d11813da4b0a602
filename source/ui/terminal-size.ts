/**
 * The terminal's size, kept current: Ink does not re-render components that
 * read `stdout.columns`/`rows` when the terminal is resized, so this hook
 * listens to the stream's 'resize' event itself. Streams without a size
 * (ink-testing-library's is 100 columns and no rows, pipes have neither)
 * get 80×24 defaults.
 */
import {useEffect, useState} from 'react';
import {useStdout} from 'ink';

export interface TerminalSize {
  readonly columns: number;
  readonly rows: number;
}

export const DEFAULT_SIZE: TerminalSize = {columns: 80, rows: 24};

export function sizeOf(stream: {columns?: number; rows?: number}): TerminalSize {
  return {columns: stream.columns || DEFAULT_SIZE.columns, rows: stream.rows || DEFAULT_SIZE.rows};
}

export function useTerminalSize(override?: Partial<TerminalSize>): TerminalSize {
  const {stdout} = useStdout();
  const [size, setSize] = useState(() => sizeOf(stdout));
  useEffect(() => {
    const onResize = () => setSize(sizeOf(stdout));
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return {columns: override?.columns ?? size.columns, rows: override?.rows ?? size.rows};
}
