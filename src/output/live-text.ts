// `live` and `tui` without a terminal: one line per event as it is found,
// then a summary of the session when it stops.

import type { LiveEvent, LiveSnapshot } from '../live/view-model.js';
import { sanitize } from './sanitize.js';
import { isoTime } from '../common/time-format.js';

export function eventLine(e: LiveEvent): string {
  return `${isoTime(e.time)}  ${e.kind.toUpperCase().padEnd(17)} ${sanitize(e.subject)}  ${sanitize(e.text)}`;
}

export interface SessionTotals {
  packets: number;
  elapsedSec: number;
  kernelDrops: number | null;
  interfaceDrops: number | null;
  decodeErrors: number;
  heartbeatStreams: number;
  heartbeatPairs: number;
  failedNow: number;
  failovers: number;
  restarts: number;
  lost: number;
  calls: number;
  keepalivePairs: number;
  keepalivesFailing: number;
  dscpFlows: number;
  dscpViolations: number;
  /** Events by kind over the whole session. */
  events: Record<string, number>;
  /** Capture files written (-w), those still on disk. */
  written: string[];
  writtenPackets: number;
}

export function sessionTotals(s: LiveSnapshot, events: Record<string, number>, written: string[], writtenPackets: number): SessionTotals {
  const dirs = s.heartbeats.flatMap((p) => p.directions);
  return {
    packets: s.packets,
    elapsedSec: s.elapsedSec,
    kernelDrops: s.drops.kernelDrops,
    interfaceDrops: s.drops.interfaceDrops,
    decodeErrors: s.errors,
    heartbeatStreams: dirs.length,
    heartbeatPairs: s.heartbeats.length,
    failedNow: dirs.filter((d) => d.state === 'failed').length,
    failovers: dirs.reduce((n, d) => n + d.failovers, 0),
    restarts: dirs.reduce((n, d) => n + d.restarts, 0),
    lost: dirs.reduce((n, d) => n + d.lost, 0),
    calls: s.calls.length,
    keepalivePairs: s.keepalives.length,
    keepalivesFailing: s.keepalives.filter((k) => k.unhealthy).length,
    dscpFlows: s.dscpTotals.flows,
    dscpViolations: s.dscpTotals.violation,
    events,
    written,
    writtenPackets,
  };
}

const n = (v: number | null): string => (v === null ? 'n/a' : String(v));
const count = (k: number, word: string, plural = `${word}s`): string => `${k} ${k === 1 ? word : plural}`;

export function summaryText(source: string, t: SessionTotals): string {
  const lines = [
    `${sanitize(source)}: ${count(t.packets, 'packet')} in ${t.elapsedSec.toFixed(1)} s; kernel drops ${n(t.kernelDrops)}, interface drops ${n(t.interfaceDrops)}, decode errors ${t.decodeErrors}`,
    `heartbeats: ${count(t.heartbeatStreams, 'stream')} in ${count(t.heartbeatPairs, 'pair')}, ${count(t.failovers, 'failover')} (${t.failedNow} failed now), ${count(t.restarts, 'restart')}, ${t.lost} lost`,
    `sip: ${count(t.calls, 'call')}, ${count(t.keepalivePairs, 'keepalive pair')} (${t.keepalivesFailing} failing)`,
    `dscp: ${count(t.dscpFlows, 'flow')}, ${count(t.dscpViolations, 'violation')}`,
  ];
  if (t.written.length) lines.push(`wrote ${t.writtenPackets} packets to ${t.written.join(', ')}`);
  return lines.join('\n');
}
