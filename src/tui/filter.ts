// The `/` filter: rows of a pane whose text contains the typed text
// (case-insensitive) are kept, and the headings above kept rows. In the SIP
// pane a call is kept too when the text is in one of its messages as sent
// (any header: Call-ID, From, To, Via, ... or the body), which `also` tells.

import type { PaneLine } from './pane.js';

export function filterLines(lines: PaneLine[], text: string, also: (l: PaneLine) => boolean = () => false): PaneLine[] {
  const needle = text.toLowerCase();
  if (needle === '') return lines;
  const kept = new Set(lines.filter((l) => l.kind === 'row' && (l.search.toLowerCase().includes(needle) || also(l))));
  const groups = new Set([...kept].map((l) => l.group));
  return lines.filter((l) => (l.kind === 'row' ? kept.has(l) : groups.has(l.group)));
}

/** The typed text as a case-insensitive pattern that matches it literally. */
export function literalPattern(text: string): RegExp {
  return new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i');
}
