// The `?` overlay: every key, in place of the panes.

import React from 'react';
import { Box } from 'ink';
import { Line } from './line.js';
import { fitSegs, tint } from './text.js';

export const HELP_KEYS: ReadonlyArray<readonly [string, string]> = [
  ['Tab / Shift-Tab', 'focus the next / previous pane (1-6: a pane by number)'],
  ['Up / Down', 'move the selected row (PgUp/PgDn, Home/End: further)'],
  ['Enter', 'on a SIP call or an RTP stream: open the call\'s ladder diagram'],
  ['Esc', 'close the message, the ladder, this help or the filter'],
  ['/', 'filter the focused pane; in SIP, also search the calls\' messages (any header)'],
  ['s', 'save the selected call (SIP, RTP and RTCP) to call-<Call-ID>.pcapng'],
  ['z', 'zoom: the focused pane alone, z again for all'],
  ['p', 'pause the display; p again resumes'],
  ['?', 'show or hide this help'],
  ['q, Ctrl-C', 'quit'],
  ['in the ladder', 'Up/Down select a message, Enter shows it as sent; n: next one the search found'],
  ['', 'PgUp/PgDn, Home/End move further; Left/Right pan (Home: back to the start)'],
  ['a message', 'Up/Down scroll; Left/Right the previous / next message; Esc back to the ladder'],
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
