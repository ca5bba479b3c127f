// The SIP ladder of one call as SVG, from the same CallFlow as the
// `ucprobe sip flow` text ladder: a lifeline per ip:port the call touched, one
// arrow per message (requests blue, provisional grey, success green, failures
// red, retransmissions dashed), the time since the first message and the DSCP
// it carried on the left, CSeq and SDP on the right. Every label comes from a
// packet, so each goes through text() (escaped) and is cut to fit.

import { phbName } from '../../dissectors/dscp.js';
import type { CallFlow, FlowMessage } from '../sip/call-flow.js';
import { clip, el, num, svgText, text, textWidth, type Markup } from './svg.js';

const FONT = 12;
const ROW = 26;
const HEADER = 44;
const FOOTER = 14;
const GUTTER = 124;
const MIN_COLUMN = 150;
const MAX_COLUMN = 230;
const NOTES_CHARS = 64;
/** The notes are monospace (about 0.62 em per character), wider than textWidth's sans estimate. */
const NOTES_WIDTH = Math.ceil(NOTES_CHARS * (FONT - 1) * 0.62) + 16;

export type ArrowKind = 'request' | 'provisional' | 'success' | 'failure';

/** How a message is coloured: requests one way, responses by status class. */
export function arrowKind(m: Pick<FlowMessage, 'label'>): ArrowKind {
  const code = /^(\d{3})\b/.exec(m.label);
  if (code === null) return 'request';
  const n = Number(code[1]);
  return n < 200 ? 'provisional' : n < 300 ? 'success' : 'failure';
}

/** CSeq, transport, SDP media and flags: what `sip flow` prints after the arrow (SVG collapses runs of spaces, hence the dots). */
export function messageNotes(m: FlowMessage): string {
  const n = [`CSeq ${m.cseq}`];
  if (m.transport === 'tcp') n.push('tcp');
  for (const s of m.sdp) n.push(`SDP ${s}`);
  if (m.retransmission) n.push('RETRANSMISSION');
  if (m.malformed) n.push('malformed');
  return n.join(' · ');
}

export interface LadderLayout {
  width: number;
  height: number;
  column: number;
  /** x of each host's lifeline. */
  lifelines: number[];
}

/** Column width from the longest host and label, within bounds so 16 hosts still fit a page (scaled). */
export function ladderLayout(flow: Pick<CallFlow, 'hosts' | 'messages'>, extraRows = 0): LadderLayout {
  const widest = Math.max(0, ...flow.hosts.map((h) => textWidth(h, FONT) + 20), ...flow.messages.map((m) => textWidth(clip(m.label, 28), FONT) + 40));
  const column = Math.round(Math.min(MAX_COLUMN, Math.max(MIN_COLUMN, widest)));
  const lifelines = flow.hosts.map((_, i) => GUTTER + column / 2 + i * column);
  const width = GUTTER + flow.hosts.length * column + NOTES_WIDTH;
  const height = HEADER + (flow.messages.length + extraRows) * ROW + FOOTER;
  return { width, height, column, lifelines };
}

export function ladderSvg(flow: CallFlow): Markup {
  const more = flow.dropped > 0 ? 1 : 0;
  const L = ladderLayout(flow, more);
  const parts: Markup[] = [el('title', {}, text(`SIP ladder of Call-ID ${flow.callId}: ${flow.messages.length} messages across ${flow.hosts.length} hosts`))];
  const bottom = L.height - FOOTER;
  const origin = flow.messages.length ? flow.messages[0].time : 0;

  // Header: one box per host over its lifeline; column titles over the gutter and notes.
  parts.push(svgText(8, 26, 'time s', { class: 'col-title' }));
  parts.push(svgText(GUTTER - 10, 26, 'DSCP', { class: 'col-title', 'text-anchor': 'end' }));
  parts.push(svgText(GUTTER + flow.hosts.length * L.column + 8, 26, 'CSeq, SDP', { class: 'col-title' }));
  flow.hosts.forEach((h, i) => {
    const cx = L.lifelines[i];
    const label = clip(h, Math.floor((L.column - 16) / (FONT * 0.58)));
    const w = Math.min(L.column - 8, textWidth(label, FONT) + 16);
    parts.push(el('rect', { class: 'host-box', x: cx - w / 2, y: 8, width: w, height: 24, rx: 4 }, el('title', {}, text(h))));
    parts.push(svgText(cx, 25, label, { class: 'host', 'text-anchor': 'middle' }));
    parts.push(el('line', { class: 'lifeline', x1: cx, x2: cx, y1: 32, y2: bottom }, null));
  });

  flow.messages.forEach((m, i) => {
    const yRow = HEADER + i * ROW;
    const ya = yRow + 17;
    if (i % 2 === 1) parts.push(el('rect', { class: 'row-alt', x: 0, y: yRow, width: L.width, height: ROW }, null));
    const kind = arrowKind(m);
    parts.push(svgText(8, ya + 4, `${(m.time - origin).toFixed(3)}`, { class: 'time' }));
    parts.push(svgText(GUTTER - 10, ya + 4, phbName(m.dscp), { class: `dscp dscp-${m.dscp}`, 'text-anchor': 'end' }));
    const a = flow.hosts.indexOf(m.src);
    const b = flow.hosts.indexOf(m.dst);
    const x1 = L.lifelines[a];
    const x2 = L.lifelines[b];
    const cls = `msg ${kind}${m.retransmission ? ' retrans' : ''}`;
    const tip = el('title', {}, text(`${m.label}  ${m.src} > ${m.dst}  ${messageNotes(m)}`));
    const label = m.retransmission ? `${m.label} (retr.)` : m.label;
    if (a === b) {
      // A message to itself (or both ends on one ip:port): a small loop.
      parts.push(el('path', { class: `${cls} arrow`, d: `M${num(x1)},${num(ya - 6)}h24v10h-18` }, tip));
      parts.push(el('path', { class: `${cls} head`, d: `M${num(x1 + 2)},${num(ya + 4)}l7,-4v8Z` }, null));
      parts.push(svgText(x1 + 30, ya + 2, clip(label, 24), { class: `${cls} label` }));
    } else {
      const dir = x2 > x1 ? 1 : -1;
      const tipX = x2 - dir * 1.5;
      parts.push(el('line', { class: `${cls} arrow`, x1, x2: tipX - dir * 8, y1: ya, y2: ya }, tip));
      parts.push(el('path', { class: `${cls} head`, d: `M${num(tipX)},${num(ya)}l${-dir * 9},-4.5v9Z` }, null));
      const room = Math.abs(x2 - x1) - 16;
      const shown = clip(label, Math.max(3, Math.floor(room / (FONT * 0.58))));
      parts.push(svgText((x1 + x2) / 2, ya - 5, shown, { class: `${cls} label`, 'text-anchor': 'middle' }));
    }
    const notes = messageNotes(m);
    parts.push(svgText(GUTTER + flow.hosts.length * L.column + 8, ya + 4, clip(notes, NOTES_CHARS), { class: 'notes' }, ));
  });
  if (more) {
    const y = HEADER + flow.messages.length * ROW + 17;
    parts.push(svgText(8, y, `… ${flow.dropped} more messages not kept; \`ucprobe sip flow FILE --call-id ID\` shows them all`, { class: 'more' }));
  }
  return el('svg', {
    class: 'plot ladder', xmlns: 'http://www.w3.org/2000/svg', viewBox: `0 0 ${L.width} ${L.height}`, width: L.width, height: L.height,
    role: 'img', 'aria-label': `SIP ladder, ${flow.messages.length} messages`,
  }, parts);
}
