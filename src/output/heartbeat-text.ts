// The heartbeat part of the `analyze` text report: streams, pairs side by
// side, and a timeline of events with times relative to the first packet.

import type { HeartbeatReport } from '../heartbeat/analyzer.js';
import type { HeartbeatEvent } from '../heartbeat/events.js';
import { stalledText } from '../live/live-events.js';
import { endpoint } from '../pipeline/flow-key.js';
import { table } from './table.js';
import { isoTime } from '../common/time-format.js';
import { signedOffset } from './words.js';

/** Timeline lines printed; the rest are in --json. */
const MAX_TIMELINE = 500;

const ms = (v: number): string => v.toFixed(1);

function rel(t: number, origin: number): string {
  return signedOffset(t, origin, 6);
}


/** One event in words; `origin` anchors the relative times inside it. `live`: resets are not linked yet. */
export function describeEvent(e: HeartbeatEvent, origin: number, live = false): string {
  switch (e.type) {
    case 'loss':
      return e.nextSeq === null
        ? `${e.stream}  silent after seq ${e.afterSeq} to the end of the capture (${e.misses} missed)`
        : `${e.stream}  ${e.lost} lost after seq ${e.afterSeq}, ${e.misses} missed in a row, resumed with seq ${e.nextSeq} after ${ms((e.resumed! - e.lastHeard) * 1000)} ms` +
          (e.blind ? ' (the receiver itself dropped datagrams then: not proof of loss)' : '');
    case 'failover':
      return `${e.noticedBy} missed ${e.stream.split('>')[0]} (last heard ${rel(e.lastHeard, origin)}, seq ${e.lastSeq})` +
        (live ? '' : e.reset ? `; reset ${e.reset.delayMs.toFixed(3)} ms later` : '; NO RESET SEEN');
    case 'recovery':
      return `${e.stream}  seq ${e.seq}, ${ms(e.downMs)} ms after the failover`;
    case 'restart':
      return `${e.stream}  seq ${e.fromSeq} -> ${e.toSeq}${e.nearZero ? ' (sender restarted)' : ' (counter jumped)'}`;
    case 'reset':
      return `${endpoint(e.src, e.sport)} > ${endpoint(e.dst, e.dport)}  ${e.delayMs!.toFixed(3)} ms after the failover of ${e.stream}`;
    case 'unexplained-reset':
      return `${endpoint(e.src, e.sport)} > ${endpoint(e.dst, e.dport)}  no failover before it`;
    case 'monitor-stalled':
      return `${e.stream}  ${stalledText(e)}`;
  }
}

function streamsTable(r: HeartbeatReport): string {
  return table(
    ['stream', 'order', 'seqs', 'rcvd', 'lost', 'runs', 'max run', 'dup', 'reord', 'restarts', 'interval p50/p99/max ms', 'jitter ms'],
    r.streams.map((s) => [
      s.key, s.byteOrder, `${s.firstSeq}..${s.lastSeq}`, s.received, s.lost, s.lossRuns, s.longestMissRun, s.duplicates, s.reordered, s.restarts,
      s.intervalMs ? `${ms(s.intervalMs.p50)}/${ms(s.intervalMs.p99)}/${ms(s.intervalMs.max)}` : '-',
      s.jitterMs ? ms(s.jitterMs.mean) : '-',
    ]),
  );
}

function pairsTable(r: HeartbeatReport): string {
  return table(
    ['A', 'B', 'A->B lost', 'B->A lost', 'failovers A/B', 'resets', 'note'],
    r.pairs.map((p) => [
      p.a, p.b, p.aToB ? p.aToB.lost : '-', p.bToA ? p.bToA.lost : '-',
      `${p.bToA?.failovers ?? 0}/${p.aToB?.failovers ?? 0}`,
      p.resets + p.unexplainedResets,
      [
        p.bToA === null ? 'one direction only' : '',
        p.asymmetric ? `asymmetric: loss ${p.lossIn === 'a->b' ? 'A->B' : 'B->A'} only` : '',
        p.unexplainedResets ? `${p.unexplainedResets} unexplained reset(s)` : '',
      ].filter(Boolean).join('; '),
    ]),
  );
}

function timeline(r: HeartbeatReport, origin: number): string {
  const shown = r.events.slice(0, MAX_TIMELINE);
  const rows = shown.map((e) => [rel(e.time, origin), e.type, describeEvent(e, origin)]);
  const more = r.events.length - shown.length + r.totals.droppedEvents;
  return table(['time', 'event', 'what'], rows) + (more > 0 ? `\n  ... ${more} more events (see --json)` : '');
}

/** `origin` is the capture's first timestamp; timeline times are relative to it. */
export function heartbeatText(r: HeartbeatReport, origin: number | null): string {
  if (r.streams.length === 0) return 'Heartbeat streams (0)\n  none\n';
  const t = r.totals;
  const p = r.params;
  const o = origin ?? r.streams[0].firstTime;
  const out = [
    `Heartbeat streams (${t.streams}; interval ${p.intervalMs} ms, timeout ${p.timeoutMs} ms, failover at ${p.threshold} misses, grace ${p.graceMs} ms)`,
    streamsTable(r),
    '',
    `Heartbeat pairs (${r.pairs.length})`,
    pairsTable(r),
    '',
    `Heartbeat timeline (${r.events.length} events; ${t.failovers} failovers, ${t.failoversWithoutReset} without a reset, ${t.unexplainedResets} unexplained resets; times from ${isoTime(o)})`,
    r.events.length ? timeline(r, o) : '  no loss, failover, restart or reset',
  ];
  if (t.untrackedStreams) out.push(`  (${t.untrackedStreams} streams past the tracking limit were ignored, ${t.untrackedHeartbeats} heartbeats; raise --max-streams)`);
  return out.join('\n') + '\n';
}
