// The RTP part of a file split by conversation: each part holds whole
// streams (both directions of one go to one part), so the merge is their union in the
// report's order, the totals summed and the calls regrouped.

import { callsOf, type MediaReport } from './analyzer.js';

export function mergeMedia(parts: readonly MediaReport[]): MediaReport {
  const streams = parts.flatMap((p) => p.streams);
  streams.sort((a, b) => a.first - b.first || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const totals = { streams: 0, packets: 0, lost: 0, evicted: 0, holesForgotten: 0 };
  for (const p of parts) {
    totals.streams += p.totals.streams;
    totals.packets += p.totals.packets;
    totals.lost += p.totals.lost;
    totals.evicted += p.totals.evicted;
    totals.holesForgotten += p.totals.holesForgotten;
  }
  return { params: parts[0].params, totals, streams, calls: callsOf(streams), failoverOverlaps: [] };
}
