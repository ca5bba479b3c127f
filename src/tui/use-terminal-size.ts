// The terminal's size, read again whenever stdout reports a resize.

import { useEffect, useReducer } from 'react';
import { useStdout } from 'ink';
import { DEFAULT_SIZE, type Size } from './layout.js';

/** `override` (tests, or a fixed size) wins over what stdout says. */
export function useTerminalSize(override?: Size): Size {
  const { stdout } = useStdout();
  const [, redraw] = useReducer((n: number) => n + 1, 0);
  useEffect(() => {
    const onResize = (): void => redraw();
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return override ?? { columns: stdout.columns || DEFAULT_SIZE.columns, rows: stdout.rows || DEFAULT_SIZE.rows };
}
