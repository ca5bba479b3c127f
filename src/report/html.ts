// The report as one HTML document: inline CSS, inline SVG, no script and no
// external resource (a Content-Security-Policy says so to the browser too),
// so it can be attached to a ticket and opened or printed anywhere.
// One section per capture: findings at a glance, capture facts, heartbeat
// pairs with their interval plots, the event timeline, SIP calls with a
// ladder each, media quality (MOS per call with its inputs, each stream's
// jitter and loss over time beside the failover windows), DSCP verdicts per
// class. Every string that came from a packet
// (SIP headers, Call-IDs, reason phrases) is escaped by text().

import { phbName } from '../../dissectors/dscp.js';
import type { FileReport } from '../analysis/analyze.js';
import type { StreamReport } from '../heartbeat/detector.js';
import type { HeartbeatEvent } from '../heartbeat/events.js';
import type { PairDirection, PairReport } from '../heartbeat/pairs.js';
import type { DetectorParams } from '../heartbeat/params.js';
import { describeEvent } from '../output/heartbeat-text.js';
import { setupTimesText } from '../output/sip-text.js';
import { expectedText, flowNotes, observedText } from '../output/dscp-audit-text.js';
import { isoTime, utcClock } from '../common/time-format.js';
import type { FlowAudit } from '../dscp/audit.js';
import { CALL_STATES, type CallRecord } from '../sip/dialogs.js';
import { verdictChart } from './bar-chart.js';
import type { ReportFile } from './collect.js';
import { MAX_LADDERS } from './collect.js';
import { intervalPlot, streamMarks } from './interval-plot.js';
import { ladderSvg } from './ladder.js';
import { el, EMPTY, join, raw, text, type Markup } from './svg.js';
import { timelineSvg, type TimelineCall, type TimelineLane } from './timeline.js';
import { formatMoment } from './scale.js';
import { CLUSTER_CSS, clusterSection, meshTimelineLanes } from './cluster-section.js';
import { mediaPlot, type FailoverWindow } from './media-plot.js';
import type { RtpStreamReport } from '../media/analyzer.js';
import { MAX_HOLES } from '../media/rtp-stream.js';

/** Heartbeat pairs drawn as plots; past this they are listed only. */
export const MAX_PAIR_PLOTS = 64;
/** Rows of the event table (the text report's limit too). */
export const MAX_EVENT_ROWS = 500;
export const MAX_CALL_ROWS = 1000;
export const MAX_FLOW_ROWS = 200;
/** Streams given a lane on the timeline. */
export const MAX_TIMELINE_LANES = 24;

export interface ReportDocument {
  files: ReportFile[];
  /** When the report was made (the caller's clock). */
  generatedAt: Date;
  version: string;
}

const fmt = (n: number): string => n.toLocaleString('en-US');
const ms1 = (v: number): string => v.toFixed(1);

function plural(n: number, word: string, many = `${word}s`): string {
  return `${fmt(n)} ${n === 1 ? word : many}`;
}

/** How a capture is named on the page: its path, or stdin for '-'. */
function fileName(path: string): string {
  return path === '-' ? '(stdin)' : path;
}

/** Time since the capture start in the axis's units (s, min:s or h:min:s). */
function rel(t: number, r: FileReport): string {
  return formatMoment(t - (r.capture.first ?? t), r.capture.spanSeconds);
}

function duration(s: number): string {
  if (s < 120) return `${s.toFixed(3)} s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s - h * 3600 - m * 60;
  return `${h ? `${h} h ` : ''}${m} min ${sec.toFixed(0)} s (${fmt(Math.round(s))} s)`;
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

// ---------------------------------------------------------------- small blocks

/** A table cell: built markup, or a number. Plain strings must go through text() (the type rejects them). */
type Cell = Markup | number;
interface Column {
  title: string;
  num?: boolean;
  cls?: string;
}

function cell(c: Cell): Markup {
  return typeof c === 'number' ? text(c) : c;
}

function table(cols: readonly Column[], rows: ReadonlyArray<readonly Cell[]>, cls = ''): Markup {
  const head = el('tr', {}, cols.map((c) => el('th', { class: [c.num ? 'num' : '', c.cls ?? ''].join(' ').trim() || undefined }, text(c.title))));
  const body = rows.map((r) => el('tr', {}, r.map((c, i) => el('td', { class: [cols[i]?.num ? 'num' : '', cols[i]?.cls ?? ''].join(' ').trim() || undefined }, cell(c)))));
  return el('div', { class: 'table-wrap' }, el('table', { class: cls || undefined }, [el('thead', {}, head), el('tbody', {}, body)]));
}

function badge(label: string, kind: string): Markup {
  return el('span', { class: `badge badge-${kind}` }, text(label));
}

function mono(s: string): Markup {
  return el('span', { class: 'mono' }, text(s));
}

function card(label: string, value: string, note: string, kind: 'ok' | 'bad' | 'warn' | 'info'): Markup {
  return el('div', { class: `card card-${kind}` }, [
    el('div', { class: 'card-value' }, text(value)),
    el('div', { class: 'card-label' }, text(label)),
    note ? el('div', { class: 'card-note' }, text(note)) : EMPTY,
  ]);
}

function note(s: string | Markup, kind = 'note'): Markup {
  return el('p', { class: kind }, typeof s === 'string' ? text(s) : s);
}

// ---------------------------------------------------------------- findings

function findings(r: FileReport): Markup {
  const h = r.heartbeats.totals;
  const calls = r.sipAnalysis.calls;
  const failedCalls = calls.byState.failed + calls.byState.timeout;
  const ka = r.sipAnalysis.keepalives.filter((k) => k.unhealthy).length;
  const dv = r.dscpAudit.totals.violation;
  return el('div', { class: 'cards' }, [
    card('heartbeat pairs', fmt(r.heartbeats.pairs.length), plural(h.streams, 'stream'), 'info'),
    card('failovers', fmt(h.failovers), h.failovers ? (h.failoversWithoutReset ? `${h.failoversWithoutReset} without a reset` : 'each followed by a reset') : 'none', h.failovers ? 'bad' : 'ok'),
    card('heartbeats lost', fmt(h.lost), `sender ${plural(h.restarts, 'restart')}`, h.lost ? 'warn' : 'ok'),
    card('TCP resets', fmt(h.resets + h.unexplainedResets), h.unexplainedResets ? `${h.unexplainedResets} unexplained` : h.resets ? 'all after a failover' : 'between heartbeat peers', h.unexplainedResets ? 'bad' : 'info'),
    card('SIP calls', fmt(calls.total), failedCalls ? `${failedCalls} failed or timed out` : calls.total ? 'none failed' : 'no INVITE seen', failedCalls ? 'warn' : 'info'),
    card('keepalives failing', fmt(ka), plural(r.sipAnalysis.keepalives.length, 'OPTIONS pair'), ka ? 'bad' : 'ok'),
    card('DSCP violations', fmt(dv), `of ${plural(r.dscpAudit.totals.flows, 'flow')}`, dv ? 'bad' : 'ok'),
    ...mediaCard(r),
  ]);
}

// ---------------------------------------------------------------- capture facts

function captureFacts(r: FileReport): Markup {
  const c = r.capture;
  const ifaces = c.interfaces.map((i) => `${i.linkTypeName}${c.interfaces.length > 1 ? ` #${i.index}` : ''} (${i.tsResolution})`).join(', ') || '-';
  const facts: Array<[string, string]> = [
    ['format', `${c.format}${c.gzip ? ' (gzip)' : ''}, ${c.byteOrder === 'le' ? 'little' : c.byteOrder === 'be' ? 'big' : c.byteOrder}-endian`],
    ['link', ifaces],
    ['packets', `${fmt(c.packets)}${c.truncatedPackets ? ` (${fmt(c.truncatedPackets)} truncated by snaplen)` : ''}`],
    ['bytes captured', `${fmt(c.bytes)} (${bytes(c.bytes)})`],
    ['first packet', c.first !== null ? isoTime(c.first) : '-'],
    ['last packet', c.last !== null ? isoTime(c.last) : '-'],
    ['span', duration(c.spanSeconds)],
  ];
  const p = r.protocols;
  const layers: Array<[string, number]> = [
    ['IPv4', p.ipv4], ['IPv6', p.ipv6], ['non-IP', p.nonIp], ['VLAN-tagged', p.vlanTagged], ['tunnelled', p.tunnelled],
    ['IP fragments', p.fragments], ['UDP', p.udp], ['TCP', p.tcp], ['TCP RST', p.tcpRst],
    ['MDS heartbeat', p.mdsHeartbeat], ['SIP', p.sip], ['SIP over TLS (encrypted)', p.sipTls], ['SIP over WebSocket', p.sipWs], ['RTP', p.rtp], ['decode errors', p.errors],
  ];
  return el('div', { class: 'facts-grid' }, [
    el('dl', { class: 'facts' }, facts.map(([k, v]) => join([el('dt', {}, text(k)), el('dd', {}, text(v))]))),
    el('div', {}, [
      el('h4', {}, text('Frames per layer')),
      el('div', { class: 'chips' }, layers.filter(([, n]) => n > 0).map(([k, n]) => el('span', { class: `chip${k === 'TCP RST' || k === 'decode errors' ? ' chip-warn' : ''}` }, [text(k), el('b', {}, text(fmt(n)))]))),
    ]),
  ]);
}

// ---------------------------------------------------------------- heartbeats

/** Silence after a heartbeat at which the receiver has counted `threshold` misses (deadline plus grace). */
export function failoverSilenceMs(p: DetectorParams): number {
  return p.timeoutMs + (p.threshold - 1) * p.intervalMs + p.graceMs;
}

function directionCaption(label: string, s: StreamReport | undefined, d: PairDirection): Markup {
  const stats: string[] = [];
  if (s) {
    stats.push(`${fmt(s.received)} received`, `${fmt(s.lost)} lost`);
    if (s.longestMissRun) stats.push(`longest run ${s.longestMissRun}`);
    if (s.restarts) stats.push(plural(s.restarts, 'restart'));
    if (s.duplicates) stats.push(`${fmt(s.duplicates)} dup`);
    if (s.reordered) stats.push(`${fmt(s.reordered)} reordered`);
    if (s.intervalMs) stats.push(`interval p50/p99/max ${ms1(s.intervalMs.p50)}/${ms1(s.intervalMs.p99)}/${ms1(s.intervalMs.max)} ms`);
    if (s.jitterMs) stats.push(`jitter ${ms1(s.jitterMs.mean)} ms`);
    stats.push(`seq ${s.firstSeq}..${s.lastSeq} ${s.byteOrder}`);
  }
  return el('div', { class: 'dir-caption' }, [
    el('span', { class: 'dir-label' }, text(label)),
    mono(d.stream.replace('>', ' → ')),
    d.failovers ? badge(`${d.failovers} failover${d.failovers > 1 ? 's' : ''}`, 'bad') : EMPTY,
    el('span', { class: 'dir-stats' }, text(stats.join(' · '))),
  ]);
}

function pairFigure(r: FileReport, pair: PairReport, index: number, rf: ReportFile, base: string): Markup {
  const hb = r.heartbeats;
  const origin = r.capture.first ?? 0;
  const end = r.capture.last ?? origin;
  const byKey = new Map(hb.streams.map((s) => [s.key, s]));
  const hosts: [string, string] = [pair.a, pair.b];
  const panels: Markup[] = [];
  const dirs: Array<[string, PairDirection | null]> = [['A → B', pair.aToB], ['B → A', pair.bToA]];
  for (const [label, d] of dirs) {
    if (d === null) continue;
    const marks = streamMarks(d.stream, hb.events, origin, end, hosts);
    panels.push(el('div', { class: `panel panel-${label === 'A → B' ? 'ab' : 'ba'}` }, [
      directionCaption(label, byKey.get(d.stream), d),
      intervalPlot({
        title: `Heartbeat intervals ${d.stream}`, series: rf.intervals.series(d.stream), start: origin, end,
        nominalMs: hb.params.intervalMs, failoverSilenceMs: failoverSilenceMs(hb.params), marks,
      }),
    ]));
  }
  const flags: Markup[] = [];
  const failovers = (pair.aToB?.failovers ?? 0) + (pair.bToA?.failovers ?? 0);
  if (failovers) flags.push(badge(plural(failovers, 'failover'), 'bad'));
  if (pair.resets) flags.push(badge(plural(pair.resets, 'reset'), 'dark'));
  if (pair.unexplainedResets) flags.push(badge(`${pair.unexplainedResets} unexplained reset${pair.unexplainedResets > 1 ? 's' : ''}`, 'bad'));
  if (pair.asymmetric) flags.push(badge(`asymmetric: loss ${pair.lossIn === 'a->b' ? 'A → B' : 'B → A'} only`, 'warn'));
  if (pair.bToA === null) flags.push(badge('one direction only', 'muted'));
  if (!failovers && pair.lossIn === 'none') flags.push(badge('no loss', 'ok'));
  return el('figure', { class: 'pair', id: `${base}-pair-${index + 1}`, 'data-pair': `${pair.a} ${pair.b}` }, [
    el('figcaption', {}, [el('span', { class: 'pair-title' }, [text(`Pair ${index + 1}: `), mono(`A ${pair.a}`), text(' ⇄ '), mono(`B ${pair.b}`)]), ...flags]),
    ...panels,
  ]);
}

const LEGEND = raw(`<div class="legend" aria-hidden="true">
<span><svg width="26" height="12"><polyline class="trace" points="1,8 7,6 13,8 19,5 25,7"/></svg>interval between heartbeats (min–max per pixel)</span>
<span><svg width="26" height="12"><line class="ref-nominal" x1="0" x2="26" y1="6" y2="6"/></svg>nominal interval</span>
<span><svg width="26" height="12"><line class="ref-failover" x1="0" x2="26" y1="6" y2="6"/></svg>silence that fails over</span>
<span><svg width="16" height="12"><rect class="loss" x="2" y="0" width="12" height="12"/></svg>missed heartbeats</span>
<span><svg width="10" height="14"><line class="failover" x1="5" x2="5" y1="0" y2="14"/></svg>failover</span>
<span><svg width="14" height="14"><path class="reset-mark" d="M7,1l6,6l-6,6l-6,-6Z"/></svg>TCP reset</span>
<span><svg width="10" height="14"><line class="restart" x1="5" x2="5" y1="0" y2="14"/></svg>sender restart</span>
<span><svg width="14" height="12"><path class="recovery-mark" d="M7,11l6,-9h-12Z"/></svg>recovery</span>
</div>`);

function heartbeatSection(r: FileReport, rf: ReportFile, base: string): Markup {
  const hb = r.heartbeats;
  const p = hb.params;
  const out: Markup[] = [el('h3', { id: `${base}-heartbeats` }, text('Heartbeats'))];
  if (hb.streams.length === 0) return join([...out, note('No MDS heartbeat streams in this capture.')]);
  out.push(note(`${plural(hb.totals.streams, 'stream')} in ${plural(hb.pairs.length, 'pair')}. Model: a heartbeat every ${p.intervalMs} ms, first miss ${p.timeoutMs} ms after the last one heard, failover at ${p.threshold} consecutive misses (${p.graceMs} ms grace), TCP resets tied within ${p.resetWindowMs} ms. Times count from the first packet (${r.capture.first !== null ? isoTime(r.capture.first) : '-'}).`));
  out.push(LEGEND);
  const shown = hb.pairs.slice(0, MAX_PAIR_PLOTS);
  shown.forEach((pair, i) => out.push(pairFigure(r, pair, i, rf, base)));
  if (hb.pairs.length > shown.length) {
    out.push(note(`${hb.pairs.length - shown.length} more pairs are not plotted; their figures:`));
    out.push(table(
      [{ title: 'A' }, { title: 'B' }, { title: 'A→B lost', num: true }, { title: 'B→A lost', num: true }, { title: 'failovers A/B' }, { title: 'resets', num: true }],
      hb.pairs.slice(MAX_PAIR_PLOTS).map((q) => [mono(q.a), mono(q.b), q.aToB?.lost ?? text('-'), q.bToA?.lost ?? text('-'), text(`${q.bToA?.failovers ?? 0}/${q.aToB?.failovers ?? 0}`), q.resets + q.unexplainedResets]),
    ));
  }
  if (rf.intervals.untracked) out.push(note(`${plural(rf.intervals.untracked, 'stream')} past the plotting limit have no interval plot.`));
  if (hb.totals.untrackedStreams) out.push(note(`${plural(hb.totals.untrackedStreams, 'stream')} past the tracking limit (${plural(hb.totals.untrackedHeartbeats, 'heartbeat')}) were ignored.`, 'warn'));
  return join(out);
}

// ---------------------------------------------------------------- timeline

const EVENT_KIND: Readonly<Record<HeartbeatEvent['type'], string>> = {
  loss: 'warn', failover: 'bad', recovery: 'ok', restart: 'orange', reset: 'dark', 'unexplained-reset': 'bad', 'monitor-stalled': 'warn',
};

function callEnd(c: CallRecord, end: number): number {
  if (c.ended !== null) return c.ended;
  if (c.state === 'answered') return end;
  if (c.state === 'trying' || c.state === 'ringing') return end;
  // Failed or cancelled: the bar runs to the end of ringing when known, else it is a short mark.
  return c.start + Math.max(c.pddMs ?? 0, (c.pddMs ?? 0) + (c.ringMs ?? 0)) / 1000;
}

function timelineSection(r: FileReport, base: string): Markup {
  const hb = r.heartbeats;
  const origin = r.capture.first ?? 0;
  const end = r.capture.last ?? origin;
  const out: Markup[] = [el('h3', { id: `${base}-timeline` }, text('Event timeline'))];
  // Streams with events first, so a capture with many quiet streams still shows the ones that matter.
  // In pair order (A→B above B→A) when they all fit; else the streams with events first, so the ones that matter keep a lane.
  const pairOrder = new Map<string, number>();
  hb.pairs.forEach((q) => [q.aToB, q.bToA].forEach((d) => d && pairOrder.set(d.stream, pairOrder.size)));
  const hasEvents = new Set(hb.events.map((e) => e.stream).filter((s): s is string => s !== null));
  const rank = (s: StreamReport): number => pairOrder.get(s.key) ?? Infinity;
  const streams = [...hb.streams].sort((a, b) => (hb.streams.length > MAX_TIMELINE_LANES ? Number(hasEvents.has(b.key)) - Number(hasEvents.has(a.key)) : 0) || rank(a) - rank(b));
  const pairHosts = (s: StreamReport): [string, string] => [s.src, s.dst];
  const lanes: TimelineLane[] = streams.slice(0, MAX_TIMELINE_LANES).map((s) => ({ label: s.key, marks: streamMarks(s.key, hb.events, origin, end, pairHosts(s)) }));
  // A reset between two hosts shows on both directions' lanes; on the timeline once is enough.
  const seenResets = new Set<number>();
  for (const l of lanes) {
    l.marks.resets = l.marks.resets.filter((x) => !seenResets.has(x.time) && seenResets.add(x.time) !== undefined);
  }
  // Mesh links that went down (src/cluster/mesh.ts) below the heartbeat streams.
  lanes.push(...meshTimelineLanes(r.cluster.mesh, end));
  const calls: TimelineCall[] = r.sipAnalysis.calls.calls.map((c) => ({
    start: c.start, end: callEnd(c, end), state: c.state,
    detail: `${c.from} → ${c.to}  ${c.state}${c.code !== null ? ` ${c.code}` : ''}  ${rel(c.start, r)}  Call-ID ${c.callId}`,
  }));
  const svg = timelineSvg({ start: origin, end, lanes, calls });
  if (svg === null) return join([...out, note('No heartbeat streams or SIP calls to place on a timeline.')]);
  out.push(el('div', { class: 'figure timeline-figure' }, svg));
  if (streams.length > MAX_TIMELINE_LANES) out.push(note(`${streams.length - MAX_TIMELINE_LANES} quiet streams have no lane.`));
  if (calls.length) {
    out.push(el('div', { class: 'legend' }, CALL_STATES.filter((s) => r.sipAnalysis.calls.byState[s] > 0).map((s) =>
      el('span', {}, [raw(`<svg width="14" height="10"><rect class="call call-${s}" x="0" y="1" width="14" height="8" rx="1.5"/></svg>`), text(`${s} (${r.sipAnalysis.calls.byState[s]})`)]))));
  }
  if (hb.events.length === 0) {
    out.push(note('No heartbeat loss, failover, restart or reset.'));
    return join(out);
  }
  const t = hb.totals;
  out.push(note(`${plural(hb.events.length, 'event')}: ${plural(t.failovers, 'failover')} (${t.failoversWithoutReset} without a reset), ${plural(t.unexplainedResets, 'unexplained reset')}.`));
  const rows = hb.events.slice(0, MAX_EVENT_ROWS).map((e) => [
    text(rel(e.time, r)), text(utcClock(e.time)), badge(e.type, EVENT_KIND[e.type]), el('span', { class: 'event-what' }, text(describeEvent(e, origin))),
  ]);
  out.push(table([{ title: 'time', num: true }, { title: 'UTC', cls: 'mono' }, { title: 'event' }, { title: 'what' }], rows, 'events'));
  const more = hb.events.length - rows.length + t.droppedEvents;
  if (more > 0) out.push(note(`${fmt(more)} more events are not listed (\`ucprobe analyze --json\` has them all).`));
  return join(out);
}

// ---------------------------------------------------------------- SIP

const STATE_KIND: Readonly<Record<string, string>> = {
  completed: 'ok', answered: 'ok', cancelled: 'muted', failed: 'bad', timeout: 'bad', trying: 'warn', ringing: 'warn',
};

function dscpSummary(d: Record<string, number>): string {
  return Object.entries(d).sort((a, b) => b[1] - a[1]).map(([v, n]) => `${phbName(Number(v))}×${n}`).join(' ');
}

/** Anchor of each Call-ID's ladder (the first call row with that Call-ID names it), for the calls listed whose messages were kept. */
function ladderAnchors(r: FileReport, rf: ReportFile, base: string): Map<string, string> {
  const ids = new Map<string, string>();
  r.sipAnalysis.calls.calls.slice(0, MAX_CALL_ROWS).forEach((call, i) => {
    if (!ids.has(call.callId) && rf.ladders.flow(call.callId) !== null) ids.set(call.callId, `${base}-call-${i + 1}`);
  });
  return ids;
}

function sipSection(r: FileReport, rf: ReportFile, base: string): Markup {
  const s = r.sipAnalysis;
  const out: Markup[] = [el('h3', { id: `${base}-sip` }, text('SIP calls'))];
  if (r.sip.messages === 0) return join([...out, note('No SIP messages in this capture.')]);
  const c = s.calls;
  const states = CALL_STATES.filter((x) => c.byState[x] > 0).map((x) => `${c.byState[x]} ${x}`).join(', ');
  out.push(note(`${fmt(r.sip.messages)} SIP messages${r.sip.malformed ? ` (${r.sip.malformed} malformed)` : ''}; ${plural(c.total, 'call')}${states ? `: ${states}` : ''}${c.evicted ? `; ${c.evicted} dropped from the full table` : ''}.`));
  // Over every answered call, those the table dropped (and the list below lacks) included: analyze's figures.
  const setup = setupTimesText(c);
  if (setup !== null) out.push(note(`Call ${setup}.`));

  const ladderIds = ladderAnchors(r, rf, base);
  if (c.calls.length) {
    const rows = c.calls.slice(0, MAX_CALL_ROWS).map((call, i) => {
      const anchor = ladderIds.get(call.callId);
      const row: Cell[] = [
        i + 1, text(utcClock(call.start)), mono(call.from), mono(call.to), badge(call.state, STATE_KIND[call.state] ?? 'muted'),
        call.code ?? text('-'), text(call.setupMs !== null ? ms1(call.setupMs) : '-'), text(call.pddMs !== null ? ms1(call.pddMs) : '-'),
        text(call.durationMs !== null ? `${(call.durationMs / 1000).toFixed(3)} s` : '-'), call.messages, call.retransmissions,
        text(dscpSummary(call.dscp)),
        // The Call-ID leads to the call's ladder when its messages were kept.
        anchor !== undefined ? el('a', { class: 'mono small', href: `#${anchor}`, title: 'ladder diagram' }, text(call.callId)) : el('span', { class: 'mono small' }, text(call.callId)),
      ];
      return row;
    });
    out.push(table([
      { title: '#', num: true }, { title: 'start (UTC)', cls: 'mono' }, { title: 'from' }, { title: 'to' }, { title: 'state' }, { title: 'code', num: true },
      { title: 'setup ms', num: true }, { title: 'PDD ms', num: true }, { title: 'duration', num: true }, { title: 'msgs', num: true }, { title: 'retr', num: true },
      { title: 'signalling DSCP' }, { title: 'Call-ID (→ ladder)' },
    ], rows, 'calls'));
    if (c.calls.length > MAX_CALL_ROWS) out.push(note(`${fmt(c.calls.length - MAX_CALL_ROWS)} more calls are not listed (\`ucprobe sip calls\` lists them all).`));
  } else {
    out.push(note('No INVITE dialogs.'));
  }

  const t = s.transactions;
  const rt: Array<Cell[]> = [];
  if (t.inviteProvisionalMs) rt.push([text('INVITE → 1xx'), t.inviteProvisionalMs.count, text(ms1(t.inviteProvisionalMs.p50)), text(ms1(t.inviteProvisionalMs.p99)), text(ms1(t.inviteProvisionalMs.max))]);
  for (const [m, x] of Object.entries(t.finalResponseMs)) rt.push([text(`${m} → final`), x.count, text(ms1(x.p50)), text(ms1(x.p99)), text(ms1(x.max))]);
  const ka = s.keepalives;
  const sub: Markup[] = [];
  sub.push(el('div', {}, [
    el('h4', {}, text(`Transactions (${fmt(t.transactions)}; ${t.requestRetransmissions} retransmitted requests, ${t.timeouts} timeouts, ${t.unansweredAtEnd} unanswered at end)`)),
    rt.length ? table([{ title: 'response time' }, { title: 'count', num: true }, { title: 'p50 ms', num: true }, { title: 'p99 ms', num: true }, { title: 'max ms', num: true }], rt) : note('none'),
  ]));
  if (ka.length) {
    sub.push(el('div', {}, [
      el('h4', {}, text(`OPTIONS keepalives (${plural(ka.length, 'pair')}${ka.some((k) => k.unhealthy) ? `, ${ka.filter((k) => k.unhealthy).length} FAILING` : ''})`)),
      table([{ title: 'requester → responder' }, { title: 'pings', num: true }, { title: 'answered', num: true }, { title: 'longest gap', num: true }, { title: 'health' }],
        ka.map((k) => [mono(`${k.requester} → ${k.responder}`), k.requests, text(`${k.answered} (${(k.answeredRatio * 100).toFixed(0)} %)`), text(`${(k.longestGapMs / 1000).toFixed(1)} s`),
          k.unhealthy ? join([badge('FAILING', 'bad'), el('span', { class: 'trouble' }, text(` ${keepaliveTrouble(k, r)}`))]) : badge('ok', 'ok')])),
    ]));
  }
  out.push(el('div', { class: 'two-col' }, sub));

  return join(out);
}

function laddersSection(r: FileReport, rf: ReportFile, base: string): Markup {
  const ladderIds = ladderAnchors(r, rf, base);
  if (ladderIds.size === 0) return EMPTY;
  const c = r.sipAnalysis.calls;
  const out: Markup[] = [];
  out.push(el('h3', { id: `${base}-ladders` }, text(`SIP ladders (${ladderIds.size})`)));
  const done = new Set<string>();
  c.calls.slice(0, MAX_CALL_ROWS).forEach((call, i) => {
    const id = ladderIds.get(call.callId);
    if (id === undefined || done.has(call.callId)) return;
    done.add(call.callId);
    const flow = rf.ladders.flow(call.callId)!;
    out.push(el('figure', { class: 'ladder-figure', id, 'data-call-id': call.callId }, [
      el('figcaption', {}, [
        el('span', { class: 'pair-title' }, text(`Call ${i + 1}: `)), mono(`${call.from} → ${call.to}`), badge(call.state, STATE_KIND[call.state] ?? 'muted'),
        el('span', { class: 'dir-stats' }, text(`${utcClock(call.start)} UTC · ${plural(flow.messages.length, 'message')} across ${plural(flow.hosts.length, 'host')} · Call-ID `)),
        el('span', { class: 'mono small' }, text(call.callId)),
      ]),
      el('div', { class: 'ladder-wrap' }, ladderSvg(flow)),
    ]));
  });
  if (rf.ladders.skipped) out.push(note(`Ladders are drawn for the first ${MAX_LADDERS} Call-IDs; ${fmt(rf.ladders.skipped)} more have none here (\`ucprobe sip flow FILE --call-id ID\` draws any).`));
  return join(out);
}

function keepaliveTrouble(k: FileReport['sipAnalysis']['keepalives'][number], r: FileReport): string {
  const what: string[] = [];
  if (k.failed) what.push(`${k.failed} failed`);
  if (k.timeouts) what.push(`${k.timeouts} timed out`);
  if (k.givenUp) what.push(`${k.givenUp} given up for a later ping`);
  if (k.unanswered) what.push(`${k.unanswered} unanswered at end`);
  return `${what.join(', ')}; ${k.lastAnswered !== null ? `last answer ${rel(k.lastAnswered, r)}` : 'never answered'}`;
}

// ---------------------------------------------------------------- DSCP

const VERDICT_KIND: Readonly<Record<FlowAudit['verdict'], string>> = { violation: 'bad', accepted: 'warn', unclassified: 'muted', ok: 'ok' };

function dscpSection(r: FileReport, base: string): Markup {
  const a = r.dscpAudit;
  const t = a.totals;
  const out: Markup[] = [el('h3', { id: `${base}-dscp` }, text('DSCP marking'))];
  out.push(note(`Policy ${a.policy}: ${plural(t.flows, 'flow')} — ${t.violation} violating, ${t.accepted} accepted alternative, ${t.unclassified} unclassified, ${t.ok} ok; ${plural(t.asymmetricConversations, 'asymmetric conversation')}.${t.evicted ? ` ${plural(t.evicted, 'flow')} left the flow table to bound memory, judged as they left: they count in these totals but not in the chart.` : ''}`));
  const chart = verdictChart(a);
  if (chart === null) return join([...out, note('No UDP or TCP flows.')]);
  out.push(el('div', { class: 'figure dscp-figure' }, chart));
  const remarkable = a.flows.filter((f) => f.verdict !== 'ok' || f.asymmetric || f.mixed);
  if (remarkable.length) {
    out.push(el('h4', {}, text(`Flows to look at (${remarkable.length})`)));
    out.push(table(
      [{ title: 'verdict' }, { title: 'flow', cls: 'nowrap' }, { title: 'class', cls: 'nowrap' }, { title: 'app', cls: 'nowrap' }, { title: 'expected', cls: 'nowrap' }, { title: 'observed (packets)' }, { title: 'notes' }],
      remarkable.slice(0, MAX_FLOW_ROWS).map((f) => [
        badge(f.verdict === 'violation' ? 'VIOLATION' : f.verdict, VERDICT_KIND[f.verdict]), mono(`${f.transport} ${f.flow}`), text(f.class), text(f.app ?? '-'), text(expectedText(f)), text(observedText(f, fmt)), text(flowNotes(f, fmt)),
      ]),
    ));
    if (remarkable.length > MAX_FLOW_ROWS) out.push(note(`${fmt(remarkable.length - MAX_FLOW_ROWS)} more are not listed (\`ucprobe analyze --json\` has every flow).`));
  } else {
    out.push(note('Every flow is marked as the policy expects.', 'good'));
  }
  const apps = Object.keys(r.dscp).sort();
  if (apps.length) {
    out.push(el('h4', {}, text('DSCP by application')));
    out.push(table([{ title: 'application' }, { title: 'marking (packets)' }], apps.map((app) => [
      text(app), text(Object.entries(r.dscp[app]).sort((x, y) => y[1] - x[1]).map(([d, n]) => `${phbName(Number(d))}(${d})×${fmt(n)}`).join('  ')),
    ])));
  }
  return join(out);
}

// ---------------------------------------------------------------- media

/** The worst MOS among calls (or streams with no call), when any stream was scored. */
function mediaCard(r: FileReport): Markup[] {
  const scored = [...r.rtp.calls.map((c) => c.mos), ...r.rtp.streams.filter((s) => s.callId === null).map((s) => s.quality?.mos ?? null)].filter((x): x is number => x !== null);
  if (scored.length === 0) return [];
  const worst = Math.min(...scored);
  return [card('worst MOS', worst.toFixed(2), `of ${plural(r.rtp.totals.streams, 'RTP stream')}, ${fmt(r.rtp.totals.lost)} packets lost`, worst < 3.6 ? 'bad' : worst < 4 ? 'warn' : 'ok')];
}

const MAX_STREAM_ROWS = 100;
/** Rows of the MOS-per-call table (the worst calls). */
export const MAX_CALL_MOS_ROWS = 100;
/** Streams given a plot of jitter and loss over time, the worst first. */
export const MAX_MEDIA_PLOTS = 20;

function mosKind(mos: number | null): string {
  return mos === null ? 'muted' : mos < 3.6 ? 'bad' : mos < 4 ? 'warn' : 'ok';
}

/** Worst first: the lowest MOS, then the most lost, the most late, the highest jitter (the order of the table and of the plots). */
function worstFirst(streams: readonly RtpStreamReport[]): RtpStreamReport[] {
  return [...streams].sort((a, b) => (a.quality?.mos ?? 5) - (b.quality?.mos ?? 5) || b.lossPercent - a.lossPercent || b.late - a.late
    || (b.jitterMs?.max ?? 0) - (a.jitterMs?.max ?? 0));
}

/** Each heartbeat failover's window, from the last heartbeat heard to the declaration (analyze's failoverOverlaps uses the same). */
function failoverWindows(r: FileReport): FailoverWindow[] {
  return r.heartbeats.events.flatMap((e) => (e.type !== 'failover' ? [] : [{
    from: e.lastHeard, to: e.time,
    detail: `failover ${rel(e.time, r)}: ${e.noticedBy} stopped hearing ${e.stream.split('>')[0]} (last heartbeat ${rel(e.lastHeard, r)}, seq ${e.lastSeq})`,
  }]));
}

const LEGEND_MEDIA = raw(`<div class="legend" aria-hidden="true">
<span><svg width="26" height="12"><polyline class="jitter-max" points="1,8 7,5 13,8 19,3 25,7"/></svg>jitter, max per bucket (RFC 3550, left axis)</span>
<span><svg width="26" height="12"><polyline class="jitter-mean" points="1,9 7,8 13,9 19,7 25,8"/></svg>jitter, mean per bucket</span>
<span><svg width="14" height="12"><rect class="media-lost" x="2" y="2" width="10" height="10"/></svg>lost, % of the numbers the bucket expected (right axis)</span>
<span><svg width="14" height="12"><rect class="media-late" x="2" y="2" width="10" height="10"/></svg>late for the jitter buffer</span>
<span><svg width="16" height="12"><rect class="failover-window" x="1" y="0" width="14" height="12"/></svg>heartbeat failover window (last heartbeat to the failover)</span>
</div>`);

function callMosTable(m: FileReport['rtp']): Markup {
  const byKey = new Map(m.streams.map((s) => [s.key, s]));
  const f = (v: number | undefined, digits = 2): Markup => (v === undefined ? text('-') : text(Number(v.toFixed(digits)).toString()));
  return table([
    { title: 'Call-ID' }, { title: 'MOS' }, { title: 'R', num: true }, { title: 'worse direction' }, { title: 'codec (Ie, Bpl)' },
    { title: 'loss % network + late = effective', num: true }, { title: 'BurstR', num: true },
    { title: 'delay ms', num: true }, { title: 'Id / Ie,eff', num: true }, { title: 'worst jitter ms', num: true },
  ], m.calls.slice(0, MAX_CALL_MOS_ROWS).map((c) => {
    const w = byKey.get(c.worstStream);
    const q = w?.quality ?? null;
    return [
      el('span', { class: 'mono small', title: plural(c.streams.length, 'stream') }, text(c.callId)), badge(c.mos === null ? '-' : c.mos.toFixed(2), mosKind(c.mos)), c.rFactor ?? text('-'),
      // Flow and SSRC on two lines: the table must fit a laptop's width with the score's inputs beside them.
      w === undefined ? mono(c.worstStream) : join([mono(w.flow), el('br', {}, null), mono(w.ssrc)]), text(q === null ? '-' : `${q.codec} (${q.ie}, ${q.bpl})`),
      q === null ? text('-') : join([f(q.networkLossPercent, 3), text(' + '), f(q.latePercent, 3), text(' = '), f(q.effectiveLossPercent, 3)]), f(q?.burstR),
      q === null ? text('-') : el('span', { title: q.delayBasis === 'rtcp' ? 'jitter buffer + packet time + look-ahead + half the RTCP round trip' : 'jitter buffer + packet time + look-ahead (no RTCP round trip seen: network delay taken as 0)' }, text(`${f(q.delayMs, 1)}${q.delayBasis === 'rtcp' ? ' (RTCP)' : ''}`)),
      q === null ? text('-') : join([f(q.id), text(' / '), f(q.ieEff)]), c.jitterMs ?? text('-'),
    ];
  }), 'call-mos');
}

function streamFigure(r: FileReport, rf: ReportFile, s: RtpStreamReport, index: number, windows: readonly FailoverWindow[], base: string): Markup {
  const series = rf.media.get(s.key);
  const overlap = r.rtp.failoverOverlaps.filter((o) => o.stream === s.key).reduce((n, o) => n + o.missing, 0);
  const stats = [`${fmt(s.packets)} packets`, `${fmt(s.lost)} lost (${s.lossPercent} %)`];
  if (s.late) stats.push(`${fmt(s.late)} late`);
  if (s.jitterMs) stats.push(`jitter mean/max ${s.jitterMs.mean}/${s.jitterMs.max} ms`);
  stats.push(`${rel(s.first, r)} to ${rel(s.last, r)}`);
  if (series !== null) stats.push(`${series.bucketSeconds} s buckets${series.coarsened === 'length' ? ' (widened: long stream)' : series.coarsened === 'memory' ? ' (widened: memory bound)' : ''}`);
  return el('figure', { class: 'media-stream', id: `${base}-rtp-${index + 1}`, 'data-stream': s.key }, [
    el('figcaption', {}, [
      el('span', { class: 'pair-title' }, text(`Stream ${index + 1}: `)), mono(s.flow.replace('>', ' → ')), mono(s.ssrc),
      badge(s.quality === null ? 'MOS -' : `MOS ${s.quality.mos.toFixed(2)}`, mosKind(s.quality?.mos ?? null)),
      overlap > 0 ? badge(`${fmt(overlap)} lost during a failover`, 'bad') : EMPTY,
      el('span', { class: 'dir-stats' }, text(stats.join(' · '))),
    ]),
    mediaPlot({
      title: `Jitter and loss over time ${s.key}`, series, captureStart: r.capture.first ?? s.first, captureEnd: r.capture.last ?? s.last,
      first: s.first, last: s.last, failovers: windows,
    }),
  ]);
}

function mediaSection(r: FileReport, rf: ReportFile, base: string): Markup {
  const m = r.rtp;
  const out: Markup[] = [el('h3', { id: `${base}-media` }, text('Media quality'))];
  if (m.streams.length === 0) return join([...out, note('No RTP streams.')]);
  out.push(note(`${plural(m.totals.streams, 'RTP stream')}, ${fmt(m.totals.packets)} packets, ${fmt(m.totals.lost)} lost; MOS by the ITU-T G.107 E-model with a ${m.params.jitterBufferMs} ms fixed jitter buffer (packets later than it count as lost to the listener, apart from network loss).${m.totals.evicted ? ` ${plural(m.totals.evicted, 'stream')} left the table to bound memory.` : ''}${m.totals.holesForgotten ? ` ${fmt(m.totals.holesForgotten)} missing sequence numbers were forgotten past the ${MAX_HOLES} a stream remembers (a packet that came for one later counted as late, unchecked for a duplicate).` : ''}`));
  if (m.calls.length) {
    out.push(el('h4', {}, text(`MOS per call (${m.calls.length}; the worse direction)`)));
    out.push(note('The worst call first; each with the direction that scored lower and what made its R: the codec\'s impairment and loss robustness, loss, its burstiness, the delay assumed, and the delay and loss impairments.'));
    out.push(callMosTable(m));
    if (m.calls.length > MAX_CALL_MOS_ROWS) out.push(note(`${fmt(m.calls.length - MAX_CALL_MOS_ROWS)} more calls are not listed (\`ucprobe sip calls\` gives every call's MOS).`));
  }
  const rows = worstFirst(m.streams);
  out.push(el('h4', {}, text('Streams, worst first')));
  out.push(table(
    [{ title: 'stream', cls: 'nowrap' }, { title: 'SSRC', cls: 'mono' }, { title: 'codec' }, { title: 'packets', num: true }, { title: 'lost', num: true }, { title: 'loss %', num: true },
      { title: 'late', num: true }, { title: 'jitter mean/max ms' }, { title: 'max delta ms', num: true }, { title: 'DSCP' }, { title: 'MOS' }, { title: 'RTCP (receiver)' }],
    rows.slice(0, MAX_STREAM_ROWS).map((s) => [
      mono(s.flow), mono(s.ssrc), text(s.payloadTypes.map((p) => p.name).join('/')), s.packets, s.lost, s.lossPercent, s.late,
      text(s.jitterMs === null ? '-' : `${s.jitterMs.mean} / ${s.jitterMs.max}`), s.deltaMs?.max ?? text('-'),
      text(Object.entries(s.dscp).sort((a, b) => b[1] - a[1]).map(([d, n]) => `${phbName(Number(d))}×${fmt(n)}`).join(' ')),
      badge(s.quality === null ? '-' : s.quality.mos.toFixed(2), mosKind(s.quality?.mos ?? null)),
      text(s.rtcp === null ? '-' : `${s.rtcp.fractionLostPercent} % lost${s.rtcp.rttMs !== null ? `, RTT ${s.rtcp.rttMs} ms` : ''}`),
    ]),
  ));
  if (rows.length > MAX_STREAM_ROWS) out.push(note(`${fmt(rows.length - MAX_STREAM_ROWS)} more streams are not listed (\`ucprobe analyze --format csv --table rtp\` lists them all).`));
  if (m.failoverOverlaps.length) {
    out.push(note(`${plural(m.failoverOverlaps.length, 'stream')} lost packets inside a heartbeat failover's window: ${m.failoverOverlaps.map((o) => `${o.stream} (${o.missing} missing)`).join(', ')}.`, 'warn'));
  }
  out.push(mediaPlots(r, rf, rows, base));
  return join(out);
}

function mediaPlots(r: FileReport, rf: ReportFile, rows: readonly RtpStreamReport[], base: string): Markup {
  const shown = rows.slice(0, MAX_MEDIA_PLOTS);
  const out: Markup[] = [el('h4', {}, text(rows.length > shown.length ? `Jitter and loss over time: the worst ${shown.length} of ${rows.length} streams` : `Jitter and loss over time (${rows.length} ${rows.length === 1 ? 'stream' : 'streams'})`))];
  const windows = failoverWindows(r);
  out.push(note(`Per bucket of capture time, times from the first packet; a stream shorter than a quarter of the capture is drawn over its own stretch of it.${windows.length ? ` ${plural(windows.length, 'heartbeat failover window')} shaded: media lost inside one is the same fault the cluster saw.` : ''}`));
  out.push(LEGEND_MEDIA);
  shown.forEach((s, i) => out.push(streamFigure(r, rf, s, i, windows, base)));
  if (rows.length > shown.length) out.push(note(`${fmt(rows.length - shown.length)} more streams are not plotted (the table above has their figures).`));
  const t = rf.media.totals();
  if (t.coarsenedForLength) out.push(note(`${plural(t.coarsenedForLength, 'stream')} outlasted ${fmt(t.limits.maxBucketsPerStream)} buckets of ${t.limits.baseSeconds} s: their buckets were widened (each plot's caption gives the width).`));
  if (t.coarsenedForMemory || t.dropped) {
    out.push(note(`The series' memory bound (${fmt(t.limits.maxBuckets)} buckets over all streams) was reached: ${plural(t.coarsenedForMemory, 'stream')} had their buckets widened${t.dropped ? ` and ${plural(t.dropped, 'stream')} have no series` : ''}.`, 'warn'));
  }
  return join(out);
}

// ---------------------------------------------------------------- document

function fileSection(rf: ReportFile, index: number): Markup {
  const r = rf.report;
  const base = `f${index + 1}`;
  const problems: Markup[] = [];
  if (r.error) problems.push(note(`The capture could not be read to the end: ${r.error}. What came before is reported.`, 'error'));
  for (const w of r.warnings) problems.push(note(`warning: ${w}`, 'warn'));
  const cluster = clusterSection(r, `${base}-cluster`, (t) => rel(t, r));
  return el('section', { class: 'capture-file', id: base, 'data-file': r.file }, [
    el('h2', {}, [el('span', { class: 'file-index' }, text(`${index + 1}`)), el('span', { class: 'mono' }, text(fileName(r.file)))]),
    el('nav', { class: 'file-nav' }, [
      ['Capture', `${base}-capture`], ['Heartbeats', `${base}-heartbeats`], ['Timeline', `${base}-timeline`], ['SIP calls', `${base}-sip`], ['Media', `${base}-media`], ['Cluster', `${base}-cluster`], ['DSCP', `${base}-dscp`], ['Ladders', `${base}-ladders`],
    ].filter(([label]) => (label !== 'Ladders' || ladderAnchors(r, rf, base).size > 0) && (label !== 'Cluster' || cluster !== null)).map(([label, id]) => el('a', { href: `#${id}` }, text(label)))),
    ...problems,
    findings(r),
    el('h3', { id: `${base}-capture` }, text('Capture')),
    captureFacts(r),
    heartbeatSection(r, rf, base),
    timelineSection(r, base),
    sipSection(r, rf, base),
    mediaSection(r, rf, base),
    cluster ?? EMPTY,
    dscpSection(r, base),
    laddersSection(r, rf, base),
  ]);
}

/** The whole report as one HTML string. */
export function renderReport(doc: ReportDocument): string {
  const title = doc.files.length === 1 ? `ucprobe report: ${fileName(doc.files[0].report.file)}` : `ucprobe report: ${doc.files.length} captures`;
  const toc = doc.files.length > 1
    ? el('nav', { class: 'toc' }, el('ol', {}, doc.files.map((f, i) => el('li', {}, el('a', { href: `#f${i + 1}` }, text(fileName(f.report.file)))))))
    : EMPTY;
  const body = [
    el('header', { class: 'page-header' }, [
      el('div', {}, [el('h1', {}, text('ucprobe report')), el('div', { class: 'subtitle' }, text(doc.files.map((f) => fileName(f.report.file)).join(', ')))]),
      el('div', { class: 'generated' }, text(`generated ${isoTime(doc.generatedAt.getTime() / 1000).slice(0, 19)}Z by ucprobe ${doc.version}`)),
    ]),
    toc,
    ...doc.files.map((f, i) => fileSection(f, i)),
    el('footer', {}, text(`MDS heartbeats, SIP and DSCP of ${plural(doc.files.length, 'capture')}. Self-contained: no script, no external resources.`)),
  ];
  return `<!DOCTYPE html>\n${el('html', { lang: 'en' }, [
    el('head', {}, [
      el('meta', { charset: 'utf-8' }, null),
      // No network and no script, whatever a packet managed to put in the page.
      el('meta', { 'http-equiv': 'Content-Security-Policy', content: "default-src 'none'; style-src 'unsafe-inline'; img-src data:" }, null),
      el('meta', { name: 'viewport', content: 'width=device-width, initial-scale=1' }, null),
      el('meta', { name: 'generator', content: `ucprobe ${doc.version}` }, null),
      el('link', { rel: 'icon', href: 'data:,' }, null),
      el('title', {}, text(title)),
      // The cluster styles only where a cluster section is drawn: other reports stay as they were.
      el('style', {}, raw(doc.files.some((f) => clusterSection(f.report, '', String) !== null) ? CSS + CLUSTER_CSS : CSS)),
    ]),
    el('body', {}, el('main', {}, body)),
  ])}\n`;
}

const CSS = `
:root {
  --ink: #1d2733; --muted: #5f6b7a; --line: #d8dee6; --soft: #f3f5f8; --paper: #fff;
  --ab: #1c64d1; --ba: #7a3fd1; --bad: #c92a2a; --bad-soft: #fde8e8; --warn: #b35c00; --warn-soft: #fff2dd;
  --ok: #2b8a3e; --ok-soft: #e6f6ea; --orange: #d9480f; --dark: #212529;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--soft); color: var(--ink); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1320px; margin: 0 auto; padding: 20px 24px 40px; }
.mono, code, .table-wrap td.mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 0.92em; }
.small { font-size: 0.8em; color: var(--muted); word-break: break-all; } a.small { color: var(--ab); }
a { color: var(--ab); text-decoration: none; } a:hover { text-decoration: underline; }
.page-header { display: flex; justify-content: space-between; align-items: flex-end; gap: 16px; border-bottom: 3px solid var(--ink); padding-bottom: 10px; margin-bottom: 16px; }
h1 { margin: 0; font-size: 24px; letter-spacing: -0.01em; }
.subtitle { color: var(--muted); font-size: 13px; word-break: break-all; }
.generated { color: var(--muted); font-size: 12px; white-space: nowrap; }
.toc ol { margin: 0 0 16px; padding-left: 22px; }
section.capture-file { background: var(--paper); border: 1px solid var(--line); border-radius: 8px; padding: 18px 22px 24px; margin-bottom: 28px; box-shadow: 0 1px 2px rgba(0,0,0,.04); }
h2 { margin: 0 0 6px; font-size: 19px; display: flex; align-items: center; gap: 10px; word-break: break-all; }
.file-index { background: var(--ink); color: #fff; border-radius: 50%; min-width: 26px; height: 26px; display: inline-flex; align-items: center; justify-content: center; font-size: 13px; }
h3 { font-size: 17px; margin: 28px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h4 { font-size: 14px; margin: 16px 0 6px; }
.file-nav { display: flex; gap: 14px; font-size: 13px; margin-bottom: 12px; }
p.note, p.good, p.warn, p.error { margin: 6px 0 10px; color: var(--muted); max-width: 110ch; }
p.good { color: var(--ok); } p.warn { color: var(--warn); }
p.error { color: var(--bad); background: var(--bad-soft); border-left: 4px solid var(--bad); padding: 8px 12px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 10px; margin: 12px 0 4px; }
.card { border: 1px solid var(--line); border-left-width: 5px; border-radius: 6px; padding: 8px 12px; background: var(--paper); }
.card-value { font-size: 24px; font-weight: 650; line-height: 1.1; font-variant-numeric: tabular-nums; }
.card-label { font-size: 12.5px; font-weight: 600; text-transform: uppercase; letter-spacing: .03em; color: var(--muted); }
.card-note { font-size: 12px; color: var(--muted); }
.card-bad { border-left-color: var(--bad); background: var(--bad-soft); } .card-bad .card-value { color: var(--bad); }
.card-warn { border-left-color: #f08c00; background: var(--warn-soft); } .card-warn .card-value { color: var(--warn); }
.card-ok { border-left-color: var(--ok); } .card-info { border-left-color: #8a96a3; }
.facts-grid { display: grid; grid-template-columns: minmax(0, 1.1fr) minmax(0, 1fr); gap: 24px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 3px 16px; margin: 4px 0; }
dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; font-variant-numeric: tabular-nums; }
.chips { display: flex; flex-wrap: wrap; gap: 6px; }
.chip { border: 1px solid var(--line); border-radius: 12px; padding: 1px 10px; font-size: 12.5px; background: var(--soft); }
.chip b { margin-left: 6px; font-variant-numeric: tabular-nums; }
.chip-warn { border-color: #f1b8b8; background: var(--bad-soft); }
.legend { display: flex; flex-wrap: wrap; gap: 6px 18px; font-size: 12.5px; color: var(--muted); margin: 6px 0 10px; }
.legend span { display: inline-flex; align-items: center; gap: 6px; }
figure { margin: 14px 0 20px; break-inside: avoid; page-break-inside: avoid; }
figure.pair { border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px 6px; }
figcaption { display: flex; flex-wrap: wrap; align-items: center; gap: 8px; margin-bottom: 4px; }
.pair-title { font-weight: 650; }
.panel { margin-top: 6px; }
.dir-caption { display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 10px; font-size: 13px; }
.dir-label { font-weight: 700; }
.panel-ab .dir-label { color: var(--ab); } .panel-ba .dir-label { color: var(--ba); }
.dir-stats { color: var(--muted); font-size: 12.5px; }
.badge { display: inline-block; border-radius: 10px; padding: 0 8px; font-size: 12px; font-weight: 600; line-height: 19px; white-space: nowrap; border: 1px solid transparent; }
.badge-bad { background: var(--bad-soft); color: var(--bad); border-color: #f3b7b7; }
.badge-warn { background: var(--warn-soft); color: var(--warn); border-color: #f5cf95; }
.badge-ok { background: var(--ok-soft); color: var(--ok); border-color: #b2dfbd; }
.badge-dark { background: var(--dark); color: #fff; }
.badge-orange { background: #fff0e6; color: var(--orange); border-color: #ffc9a8; }
.badge-muted { background: var(--soft); color: var(--muted); border-color: var(--line); }
.table-wrap { overflow-x: auto; margin: 6px 0 10px; }
table { border-collapse: collapse; font-size: 13px; width: 100%; }
th { text-align: left; font-weight: 600; color: var(--muted); border-bottom: 2px solid var(--line); padding: 5px 8px; white-space: nowrap; }
td { border-bottom: 1px solid #e9edf2; padding: 4px 8px; vertical-align: top; }
tbody tr:nth-child(even) td { background: #fafbfc; }
th.num, td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.events td:first-child, table.events td:nth-child(2) { white-space: nowrap; }
.trouble { color: var(--bad); font-size: 12.5px; }
td.nowrap { white-space: nowrap; }
.event-what { font-family: ui-monospace, Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 12px; word-break: break-word; }
table.calls td:nth-child(2), table.calls td:nth-child(5) { white-space: nowrap; } table.calls td:nth-child(13) { word-break: break-all; min-width: 14ch; }
.two-col { display: grid; grid-template-columns: minmax(0, 2fr) minmax(0, 3fr); gap: 8px 28px; }
@media (max-width: 1100px) { .two-col { grid-template-columns: minmax(0, 1fr); } }
/* The border is the SVG's own, so a narrow ladder gets a tight box and a wide one scales down to the page. */
.ladder-wrap { max-width: 100%; }
svg.plot { display: block; height: auto; font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }
svg.interval-plot, svg.timeline, svg.dscp-bars { width: 100%; }
svg.ladder { max-width: 100%; border: 1px solid var(--line); border-radius: 6px; background: var(--paper); }
svg text { font-size: 11px; fill: var(--ink); }
.plot-bg { fill: #fbfcfd; } .plot-frame { fill: none; stroke: #b9c2cc; }
.grid { stroke: #e6eaef; stroke-width: 1; }
.tick { fill: var(--muted); font-size: 11px; font-variant-numeric: tabular-nums; } .unit { font-style: italic; }
.trace { fill: none; stroke: var(--ab); stroke-width: 1.4; stroke-linejoin: round; }
.panel-ba .trace { stroke: var(--ba); }
.trace-min { stroke-width: 0.8; opacity: 0.7; }
.band { fill: var(--ab); fill-opacity: 0.18; stroke: none; } .panel-ba .band { fill: var(--ba); }
.ref-nominal { stroke: #7b8794; stroke-dasharray: 4 3; stroke-width: 1; fill: #7b8794; }
.ref-failover { stroke: var(--bad); stroke-dasharray: 6 4; stroke-width: 1; fill: var(--bad); }
text.ref-label { font-size: 10.5px; paint-order: stroke; stroke: #fff; stroke-width: 3px; stroke-linejoin: round; }
text.ref-nominal { fill: #5f6b7a; } text.ref-failover { fill: var(--bad); }
.loss { fill: var(--bad); fill-opacity: 0.16; stroke: var(--bad); stroke-opacity: 0.35; stroke-width: 0.6; }
line.failover { stroke: var(--bad); stroke-width: 2; }
line.reset { stroke: var(--dark); stroke-width: 1; stroke-dasharray: 2 2; }
.reset-mark { fill: var(--dark); stroke: #fff; stroke-width: 1; }
line.restart { stroke: var(--orange); stroke-width: 1.5; stroke-dasharray: 5 3; }
.restart-mark { fill: var(--orange); }
.recovery-mark, .recovery-dot { fill: var(--ok); }
.clip-mark { fill: var(--bad); }
text.clip-label { fill: var(--bad); font-size: 10.5px; font-weight: 600; paint-order: stroke; stroke: #fff; stroke-width: 3px; }
text.mark-label { font-size: 11px; font-weight: 600; paint-order: stroke; stroke: #fff; stroke-width: 3px; stroke-linejoin: round; }
text.failover-label { fill: var(--bad); } text.reset-label { fill: var(--dark); } text.restart-label { fill: var(--orange); } text.loss-label { fill: #a61e1e; font-weight: 500; }
text.empty { fill: var(--muted); font-size: 13px; font-style: italic; }
.lane-bg { fill: #f6f8fa; } .lane-axis { stroke: #d3d9e0; } text.lane-label { font-family: ui-monospace, Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 11px; fill: var(--ink); }
.axis { stroke: #9aa5b1; }
.call { stroke: rgba(0,0,0,.25); stroke-width: .5; }
.call-completed { fill: #40a05a; } .call-answered { fill: #1098ad; } .call-cancelled { fill: #9aa5b1; } .call-failed { fill: #e03131; } .call-timeout { fill: #862e2e; } .call-trying, .call-ringing { fill: #f59f00; }
.jitter-max { fill: none; stroke: var(--ab); stroke-width: 1.4; stroke-linejoin: round; }
.jitter-mean { fill: none; stroke: var(--ab); stroke-width: 0.8; stroke-dasharray: 3 2; opacity: 0.8; }
.media-lost { fill: var(--bad); fill-opacity: 0.75; } .media-late { fill: #f08c00; fill-opacity: 0.8; }
.failover-window { fill: var(--bad); fill-opacity: 0.12; stroke: var(--bad); stroke-opacity: 0.5; stroke-width: 0.8; stroke-dasharray: 3 2; }
text.tick-loss { fill: var(--bad); }
figure.media-stream { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px 4px; margin: 10px 0 14px; }
svg.media-plot { width: 100%; }
table.call-mos td:first-child { word-break: break-all; min-width: 12ch; } table.call-mos th { white-space: normal; }
.seg-conforming { fill: #40a05a; } .seg-alternative { fill: #f59f00; } .seg-violating { fill: #e03131; } .seg-unenforced { fill: #adb5bd; }
.bar-bg { fill: #f1f3f5; }
text.seg-label { fill: #fff; font-size: 11px; font-weight: 600; } text.seg-label-unenforced, text.seg-label-alternative { fill: #1d2733; }
text.class-name { font-size: 13px; font-weight: 650; } text.class-expect, text.bar-unit { fill: var(--muted); font-size: 11px; }
text.total { font-size: 12px; fill: var(--muted); } text.total.bad { fill: var(--bad); font-weight: 650; }
text.legend { font-size: 12px; fill: var(--muted); }
.host-box { fill: #eef3fb; stroke: #9db4d6; } text.host { font-family: ui-monospace, Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 12px; font-weight: 600; }
.lifeline { stroke: #9db4d6; stroke-dasharray: 3 3; }
.row-alt { fill: #f7f9fb; }
text.col-title { fill: var(--muted); font-size: 11px; font-weight: 600; text-transform: uppercase; }
text.time { font-family: ui-monospace, Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 11.5px; fill: var(--muted); }
text.dscp { font-size: 11px; font-weight: 600; fill: var(--muted); }
text.notes { font-family: ui-monospace, Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 11px; fill: var(--muted); }
text.more { fill: var(--muted); font-style: italic; font-size: 12px; }
.msg.arrow { stroke-width: 1.6; fill: none; } .msg.head { stroke: none; }
.msg.label { font-size: 12px; font-weight: 600; stroke: none; paint-order: stroke; }
.request.arrow { stroke: #1c64d1; } .request.head, text.request { fill: #1c64d1; }
.provisional.arrow { stroke: #7b8794; } .provisional.head, text.provisional { fill: #5f6b7a; }
.success.arrow { stroke: #2b8a3e; } .success.head, text.success { fill: #2b8a3e; }
.failure.arrow { stroke: #c92a2a; } .failure.head, text.failure { fill: #c92a2a; }
.retrans.arrow { stroke-dasharray: 5 3; }
footer { color: var(--muted); font-size: 12px; text-align: center; }
@media (max-width: 900px) { .facts-grid { grid-template-columns: 1fr; } main { padding: 12px; } }
@media print {
  @page { size: A4 landscape; margin: 10mm; }
  body { background: #fff; font-size: 11px; }
  main { max-width: none; padding: 0; }
  section.capture-file { border: none; box-shadow: none; padding: 0; }
  .file-nav, .toc { display: none; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  .ladder-wrap, .table-wrap { overflow: visible; }
  h3 { break-after: avoid; page-break-after: avoid; }
  tr { break-inside: avoid; }
}
`;
