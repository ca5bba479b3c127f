// What a generator run sent and withheld, and how close to its schedule:
// a table for the terminal and the JSON a script reads.

import type { GenerateSummary } from '../generator/generate.js';
import { table } from './table.js';

export function generateSummaryText(s: GenerateSummary): string {
  const rows = s.streams.map((r) => [
    `${r.local.address}:${r.local.port}>${r.address}:${r.spec.port}`, r.spec.byteOrder, r.spec.dscp ?? 0, r.sent,
    r.withheld.drop + r.withheld.burst, r.withheld.loss + r.withheld.gemodel, r.withheld.pause, r.duplicates, r.restarts, r.refused,
  ]);
  const e = s.sendErrorMs;
  return [
    table(['stream', 'order', 'dscp', 'sent', 'dropped', 'random loss', 'paused', 'dup', 'restarts', 'refused'], rows),
    `  send-time error ms p50/p99/max: ${e ? `${e.p50.toFixed(3)}/${e.p99.toFixed(3)}/${e.max.toFixed(3)}` : '-'} over ${s.seconds.toFixed(2)} s`,
  ].join('\n');
}

/** The summary without the specs' internals: what a script reads. */
export function summaryJson(s: GenerateSummary): object {
  return {
    seconds: s.seconds,
    sendErrorMs: s.sendErrorMs,
    streams: s.streams.map((r) => ({
      src: r.local.address, sport: r.local.port, dst: r.address, dport: r.spec.port, byteOrder: r.spec.byteOrder, dscp: r.spec.dscp ?? 0,
      sent: r.sent, withheld: r.withheld, duplicates: r.duplicates, restarts: r.restarts, refused: r.refused,
    })),
  };
}
