// Ties TCP resets between heartbeat peers to the failovers they follow: the
// side that counted five misses resets its connection to the peer. A reset
// with no failover before it is reported too; it is as telling as a missing one.

import type { FailoverEvent, ResetEvent } from './events.js';
import type { DetectorParams } from './params.js';
import { roundUs } from './params.js';
import { pairKeyOf } from '../pipeline/flow-key.js';

export interface TcpReset {
  time: number;
  src: string;
  sport: number;
  dst: string;
  dport: number;
}

/**
 * One event per reset between hosts in `peers` (pairKeyOf the two addresses). A reset is
 * tied to a failover between the same two hosts when it falls between the
 * failover's deadline (less the grace) and the reset window after it; the
 * failover noticed by the reset's sender wins, then the nearest before it.
 * Each failover's `reset` is set to the first reset tied to it.
 */
export function linkResets(failovers: FailoverEvent[], resets: TcpReset[], peers: ReadonlySet<string>, p: DetectorParams): ResetEvent[] {
  const byPair = new Map<string, FailoverEvent[]>();
  for (const f of failovers) {
    const k = pairKeyOf(f.noticedBy, f.peer);
    const list = byPair.get(k) ?? [];
    list.push(f);
    byPair.set(k, list);
  }
  const out: ResetEvent[] = [];
  for (const r of [...resets].sort((a, b) => a.time - b.time)) {
    const k = pairKeyOf(r.src, r.dst);
    if (!peers.has(k)) continue;
    const candidates = (byPair.get(k) ?? []).filter((f) => r.time >= f.time - p.graceMs / 1000 && r.time <= f.time + p.resetWindowMs / 1000);
    const f = candidates.sort((a, b) => Number(b.noticedBy === r.src) - Number(a.noticedBy === r.src) || b.time - a.time)[0];
    const at = { time: r.time, src: r.src, sport: r.sport, dst: r.dst, dport: r.dport };
    if (!f) {
      out.push({ type: 'unexplained-reset', ...at, stream: null, failoverTime: null, delayMs: null });
      continue;
    }
    const delayMs = Math.round((r.time - f.time) * 1e6) / 1000;
    f.reset ??= { ...at, delayMs };
    out.push({ type: 'reset', ...at, stream: f.stream, failoverTime: roundUs(f.time), delayMs });
  }
  return out;
}
