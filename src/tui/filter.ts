// The `/` filter: rows of a pane whose text contains the typed text
// (case-insensitive) are kept, and the headings above kept rows.

import type { PaneLine } from './pane.js';

export function filterLines(lines: PaneLine[], text: string): PaneLine[] {
  const needle = text.toLowerCase();
  if (needle === '') return lines;
  const kept = new Set(lines.filter((l) => l.kind === 'row' && l.search.toLowerCase().includes(needle)));
  const groups = new Set([...kept].map((l) => l.group));
  return lines.filter((l) => (l.kind === 'row' ? kept.has(l) : groups.has(l.group)));
}
