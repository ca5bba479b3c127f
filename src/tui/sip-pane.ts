// SIP pane: the call list (most recent first, as the snapshot gives it) with
// each call's media as `sip calls` gives it (the worse direction's MOS, the
// worst loss and jitter), then OPTIONS keepalive health per requester >
// responder pair.

import type { LiveSnapshot } from '../live/view-model.js';
import { sanitize } from '../output/sanitize.js';
import type { CallState } from '../sip/dialogs.js';
import type { KeepalivePair } from '../sip/keepalives.js';
import { msCell } from './format.js';
import { qualityCells, qualityColumns } from './media-pane.js';
import { clockMs } from '../common/time-format.js';
import {
  fitColumns, heading, headerSegs, row, rowSegs, uniqueKeys, widest, type Cell, type Column, type PaneContent, type PaneLine,
} from './pane.js';
import { cutMiddle, textWidth, type SegStyle } from './text.js';

const CALL_STYLE: Readonly<Record<CallState, SegStyle>> = {
  trying: { color: 'cyan' },
  ringing: { color: 'yellow' },
  answered: { color: 'green', bold: true },
  completed: { color: 'green' },
  cancelled: { color: 'magenta' },
  failed: { color: 'red', bold: true },
  timeout: { color: 'red', bold: true },
};

const KEEPALIVE_GROUP = 'keepalives';

function keepaliveLines(pairs: KeepalivePair[], width: number): PaneLine[] {
  const names = pairs.map((k) => `${sanitize(k.requester)} > ${sanitize(k.responder)}`);
  const cols: Column[] = [
    { title: 'requester > responder', min: 20, want: widest('requester > responder', names), whole: true },
    { title: 'pings', min: 6, align: 'right', drop: 2 },
    { title: 'answered', min: 8, align: 'right' },
    { title: 'p50 ms', min: 7, align: 'right', drop: 1 },
    { title: 'gap s', min: 8, align: 'right', drop: 3 },
    { title: 'health', min: 7 },
  ];
  const fit = fitColumns(cols, width);
  const lines = [
    heading('keepalives', [{ text: `OPTIONS keepalives (${pairs.length})`, bold: true }], KEEPALIVE_GROUP),
    heading('keepalives:columns', headerSegs(fit.cols, fit.widths), KEEPALIVE_GROUP),
  ];
  pairs.forEach((k, i) => {
    const health = k.unhealthy ? { text: 'FAILING', color: 'red', bold: true } : { text: 'ok', color: 'green' };
    const segs = rowSegs(fit.cols, fit.widths, fit.pick<Cell>([
      names[i], String(k.requests), `${Math.round(k.answeredRatio * 100)}%`, msCell(k.intervalMs?.p50 ?? null),
      (k.longestGapMs / 1000).toFixed(1), health,
    ]));
    lines.push(row(`ka:${k.requester}>${k.responder}`, segs, `${names[i]} ${health.text}`, KEEPALIVE_GROUP));
  });
  return lines;
}

export function sipPane(snap: LiveSnapshot, width: number): PaneContent {
  const from = snap.calls.map((c) => sanitize(c.from));
  const to = snap.calls.map((c) => sanitize(c.to));
  const cols: Column[] = [
    { title: 'start', min: 12 },
    { title: 'from', min: 12, want: widest('from', from) },
    { title: 'to', min: 12, want: widest('to', to) },
    { title: 'state', min: 9 },
    { title: 'code', min: 4, align: 'right' },
    { title: 'setup ms', min: 8, align: 'right', drop: 1 },
    { title: 'msgs', min: 4, align: 'right', drop: 2 },
    ...qualityColumns({ jitter: 3, loss: 4 }),
  ];
  const fit = fitColumns(cols, width);
  const widthOf = (title: string): number => fit.widths[fit.cols.findIndex((c) => c.title === title)];
  // The calls' From and To are user@host: too wide for the column, the middle goes, so the host stays. Other text is cut at its end.
  const party = (text: string, w: number): string => (textWidth(text) <= w || text.includes('<') ? text : cutMiddle(text, w));
  const key = uniqueKeys();
  const media = new Map(snap.media.calls.map((m) => [m.callId, m]));
  const lines: PaneLine[] = snap.calls.map((c, i) => {
    const code = c.code === null ? '-' : String(c.code);
    const m = media.get(c.callId);
    const segs = rowSegs(fit.cols, fit.widths, fit.pick<Cell>([
      clockMs(c.start), party(from[i], widthOf('from')), party(to[i], widthOf('to')), { text: c.state, ...CALL_STYLE[c.state] }, code, msCell(c.setupMs), String(c.messages),
      ...(m === undefined ? qualityCells(null, null, null) : qualityCells(m.mos, m.lossPercent, m.jitterMs)),
    ]));
    const search = `${from[i]} ${to[i]} ${c.state} ${code} ${sanitize(c.callId)}`;
    return row(key(`call:${c.callId}\u0000${c.fromTag ?? ''}`), segs, search, null, c.callId);
  });
  if (snap.keepalives.length) lines.push(...keepaliveLines(snap.keepalives, width));
  const failing = snap.keepalives.filter((k) => k.unhealthy).length;
  return {
    title: `SIP  ${snap.calls.length} calls, ${snap.keepalives.length} keepalive pairs${failing ? `, ${failing} FAILING` : ''}`,
    columns: headerSegs(fit.cols, fit.widths),
    lines,
  };
}
