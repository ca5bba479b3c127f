// Events pane: newest first, coloured by severity. The newest failover
// flashes (inverse) for a few seconds after it, measured on the snapshot's
// clock so a replayed file and a test see the same thing as a live capture.

import type { LiveSnapshot, Severity } from '../live/view-model.js';
import { sanitize } from '../output/sanitize.js';
import { clockMs } from '../common/time-format.js';
import { fitColumns, headerSegs, row, rowSegs, uniqueKeys, widest, type Column, type PaneContent } from './pane.js';
import type { SegStyle } from './text.js';

/** Seconds the newest failover stays highlighted. */
export const FLASH_SEC = 5;

const SEVERITY_STYLE: Readonly<Record<Severity, SegStyle>> = {
  alarm: { color: 'red' },
  warn: { color: 'yellow' },
  info: {},
};

const FLASH_STYLE: SegStyle = { color: 'red', bold: true, inverse: true };

export function eventsPane(snap: LiveSnapshot, width: number): PaneContent {
  const subjects = snap.events.map((e) => sanitize(e.subject));
  const cols: Column[] = [
    { title: 'time (UTC)', min: 12 },
    { title: 'kind', min: 8, want: widest('kind', snap.events.map((e) => e.kind)) },
    { title: 'subject', min: 12, want: Math.min(48, widest('subject', subjects)), whole: true },
    { title: 'what', min: 10, max: Number.POSITIVE_INFINITY },
  ];
  const fit = fitColumns(cols, width);
  const flashing = snap.events.find((e) => e.kind === 'failover');
  const key = uniqueKeys();
  const lines = snap.events.map((e, i) => {
    const style = e === flashing && snap.now - e.time < FLASH_SEC ? FLASH_STYLE : SEVERITY_STYLE[e.severity];
    const time = clockMs(e.time);
    const text = sanitize(e.text);
    const segs = rowSegs(fit.cols, fit.widths, fit.pick([time, e.kind, subjects[i], text].map((t) => ({ text: t, ...style }))));
    return row(key(`ev:${e.time}:${e.kind}:${e.subject}`), segs, `${time} ${e.kind} ${e.severity} ${subjects[i]} ${text}`);
  });
  const alarms = snap.events.filter((e) => e.severity === 'alarm').length;
  return {
    title: `Events  ${snap.events.length}${alarms ? `, ${alarms} alarms` : ''}`,
    columns: headerSegs(fit.cols, fit.widths),
    lines,
  };
}
