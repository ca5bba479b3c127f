// The `?` overlay: every key, in place of the panes.

import React from 'react';
import { Box } from 'ink';
import { Line } from './line.js';
import { fitSegs, tint } from './text.js';

export const HELP_KEYS: ReadonlyArray<readonly [string, string]> = [
  ['Tab / Shift-Tab', 'focus the next / previous pane'],
  ['Up / Down', 'move the selected row (PgUp/PgDn, Home/End: further)'],
  ['Enter', 'on a SIP call: open its ladder diagram'],
  ['Esc', 'close the ladder, this help or the filter'],
  ['/', 'filter the focused pane (Enter keeps the filter, Esc clears it)'],
  ['p', 'pause the display; p again resumes'],
  ['?', 'show or hide this help'],
  ['q, Ctrl-C', 'quit'],
  ['in the ladder', 'Up/Down, PgUp/PgDn, Home/End scroll; Left/Right pan (Home: back to the start)'],
];

export function Help(props: { width: number; height: number }): React.JSX.Element {
  const inner = Math.max(0, props.width - 2);
  const lines = [
    <Line key="title" segs={fitSegs([{ text: 'Keys  (? or Esc closes)', bold: true, color: 'cyan' }], inner)} />,
    ...HELP_KEYS.map(([k, what]) => <Line key={k} segs={fitSegs([{ text: `  ${k.padEnd(16)}`, bold: true }, { text: what }], inner)} />),
  ];
  return (
    <Box flexDirection="column" borderStyle="single" borderColor={tint('cyan')} width={props.width} height={props.height} overflow="hidden">
      {lines.slice(0, Math.max(0, props.height - 2))}
    </Box>
  );
}
