// The bottom line: the filter being typed, what the last save did, the
// filter in force, or the keys that apply to what is on screen.

import React from 'react';
import { sanitize } from '../output/sanitize.js';
import type { UiState } from './keys.js';
import { Line } from './line.js';
import { PANE_NAMES } from './pane.js';
import { fitSegs, type Seg } from './text.js';

export interface FooterProps {
  ui: UiState;
  /** The last save's line (already escaped); null for none. */
  status?: string | null;
  /** Calls the SIP filter found in their messages as sent. */
  hits?: number;
  width: number;
}

export function footerSegs(ui: UiState, status: string | null = null, hits = 0): Seg[] {
  const pane = PANE_NAMES[ui.focus];
  const filter = sanitize(ui.filters[ui.focus]);
  const found: Seg[] = ui.focus === 'sip' && filter !== '' ? [{ text: `   ${hits} calls by their messages`, dim: true }] : [];
  if (ui.editing) {
    return [{ text: `filter ${pane}: /`, color: 'yellow', bold: true }, { text: filter }, { text: ' ', inverse: true }, { text: '   Enter keeps, Esc clears', dim: true }, ...found];
  }
  if (status !== null) return [{ text: status, color: 'green', bold: true }];
  if (ui.help) return [{ text: '? or Esc closes the help   q quits', dim: true }];
  if (ui.ladder?.raw !== null && ui.ladder !== null) {
    return [{ text: 'Esc ladder   Up/Down PgUp/PgDn scroll   Left/Right previous/next message   n next found   s save   q quit', dim: true }];
  }
  if (ui.ladder !== null) return [{ text: 'Esc closes   Up/Down message   Enter as sent   Left/Right pan   n next found   s save   q quit', dim: true }];
  const keys: Seg = { text: 'Tab pane  Up/Down select  Enter ladder  / search  s save  z zoom  ? help  q quit', dim: true };
  return filter ? [{ text: `filter ${pane}: "${filter}"`, color: 'yellow' }, ...found, { text: '   / edits, Esc clears   ', dim: true }, keys] : [keys];
}

export function Footer(props: FooterProps): React.JSX.Element {
  return <Line segs={fitSegs(footerSegs(props.ui, props.status ?? null, props.hits ?? 0), props.width)} />;
}
