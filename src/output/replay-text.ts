// `replay`: the streams a capture holds (--list) and what a replay sent, as a
// table for the terminal and the JSON a script reads.

import { phbName } from '../../dissectors/dscp.js';
import type { GenerateSummary } from '../generator/generate.js';
import { seqAt, type CaptureStreams, type CapturedStream } from '../generator/replay-source.js';
import { isoTime } from '../common/time-format.js';
import { table } from './table.js';

export interface StreamListing {
  /** 1-based, what --stream N picks. */
  index: number;
  key: string;
  src: string;
  sport: number;
  dst: string;
  dport: number;
  byteOrder: string;
  dscp: number;
  heartbeats: number;
  firstSeq: number;
  lastSeq: number;
  /** Epoch seconds. */
  first: number;
  last: number;
  /** From the first heartbeat of the capture's first stream. */
  startsAfterSeconds: number;
  durationSeconds: number;
}

const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;

export function streamListing(cs: CaptureStreams): StreamListing[] {
  const t0 = Math.min(...cs.streams.map((s) => s.times[0]));
  return cs.streams.map((s, i) => ({
    index: i + 1, key: s.key, src: s.src, sport: s.sport, dst: s.dst, dport: s.dport, byteOrder: s.byteOrder, dscp: s.dscp,
    heartbeats: s.count, firstSeq: seqAt(s, 0), lastSeq: seqAt(s, s.count - 1),
    first: round6(cs.baseSec + s.times[0]), last: round6(cs.baseSec + s.times[s.count - 1]),
    startsAfterSeconds: round6(s.times[0] - t0), durationSeconds: round6(s.times[s.count - 1] - s.times[0]),
  }));
}

export function streamListText(file: string, cs: CaptureStreams): string {
  const rows = streamListing(cs);
  const total = rows.reduce((n, r) => n + r.heartbeats, 0);
  return [
    `${file}: ${rows.length} heartbeat stream${rows.length === 1 ? '' : 's'}, ${total} heartbeats, the first at ${isoTime(Math.min(...rows.map((r) => r.first)))}`,
    table(['#', 'stream', 'order', 'dscp', 'heartbeats', 'first seq', 'last seq', 'starts s', 'duration s'], rows.map((r) => [
      r.index, r.key, r.byteOrder, phbName(r.dscp), r.heartbeats, r.firstSeq, r.lastSeq, r.startsAfterSeconds.toFixed(3), r.durationSeconds.toFixed(3),
    ])),
  ].join('\n');
}

/** `captured[i]` is the stream `summary.streams[i]` replayed. */
export function replaySummaryText(summary: GenerateSummary, captured: readonly CapturedStream[], speed: number): string {
  const rows = summary.streams.map((r, i) => [
    captured[i].key, `${r.local.address}:${r.local.port}>${r.address}:${r.spec.port}`, r.spec.byteOrder, r.spec.dscp !== undefined ? phbName(r.spec.dscp) : '-',
    captured[i].count, r.sent, r.withheld.drop + r.withheld.burst, r.withheld.loss + r.withheld.gemodel, r.duplicates, r.refused,
  ]);
  const e = summary.sendErrorMs;
  return [
    table(['captured stream', 'replayed as', 'order', 'dscp', 'captured', 'sent', 'dropped', 'random loss', 'dup', 'refused'], rows),
    `  send-time error ms p50/p99/max: ${e ? `${e.p50.toFixed(3)}/${e.p99.toFixed(3)}/${e.max.toFixed(3)}` : '-'} over ${summary.seconds.toFixed(2)} s at speed ${speed}`,
  ].join('\n');
}

export function replaySummaryJson(file: string, summary: GenerateSummary, captured: readonly CapturedStream[], speed: number): object {
  return {
    capture: file,
    speed,
    seconds: summary.seconds,
    sendErrorMs: summary.sendErrorMs,
    streams: summary.streams.map((r, i) => ({
      captured: captured[i].key, heartbeats: captured[i].count,
      src: r.local.address, sport: r.local.port, dst: r.address, dport: r.spec.port, byteOrder: r.spec.byteOrder, dscp: r.spec.dscp ?? null,
      sent: r.sent, withheld: r.withheld, duplicates: r.duplicates, refused: r.refused,
    })),
  };
}
