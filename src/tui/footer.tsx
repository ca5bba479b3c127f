// The bottom line: the filter being typed, the filter in force, or the keys
// that apply to what is on screen.

import React from 'react';
import { sanitize } from '../output/sanitize.js';
import type { UiState } from './keys.js';
import { Line } from './line.js';
import { PANE_NAMES } from './pane.js';
import { fitSegs, type Seg } from './text.js';

export function footerSegs(ui: UiState): Seg[] {
  const pane = PANE_NAMES[ui.focus];
  const filter = sanitize(ui.filters[ui.focus]);
  if (ui.editing) {
    return [{ text: `filter ${pane}: /`, color: 'yellow', bold: true }, { text: filter }, { text: ' ', inverse: true }, { text: '   Enter keeps, Esc clears', dim: true }];
  }
  if (ui.help) return [{ text: '? or Esc closes the help   q quits', dim: true }];
  if (ui.ladder !== null) return [{ text: 'Esc closes   Up/Down PgUp/PgDn Home/End scroll   Left/Right pan   p pause   q quit', dim: true }];
  const keys: Seg = { text: 'Tab pane   Up/Down select   Enter ladder   / filter   p pause   ? help   q quit', dim: true };
  return filter ? [{ text: `filter ${pane}: "${filter}"`, color: 'yellow' }, { text: '   / edits, Esc clears   ', dim: true }, keys] : [keys];
}

export function Footer(props: { ui: UiState; width: number }): React.JSX.Element {
  return <Line segs={fitSegs(footerSegs(props.ui), props.width)} />;
}
