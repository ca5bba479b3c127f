// Scripted heartbeat patterns for the detector tests: a few lines say what
// each sender did (how many heartbeats, which ones the network dropped, a
// restart, a swap, a duplicate, jitter) and which TCP resets went by; the
// pattern is expanded to the exact arrivals, and written as a pcap by the
// project's own writer so the whole analyze path can be run on it.
//
// Every time is kept as integer microseconds from the capture start (the pcap
// writes microseconds), and turned into seconds the way the pcap reader does,
// so the arrivals fed straight to a detector carry the very same timestamps
// the analyzer sees in the file.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ByteOrder } from '../dissectors/types.js';
import { TCP_ACK, TCP_RST } from '../dissectors/types.js';
import type { StreamId } from '../src/heartbeat/detector.js';
import { buildTcpFrame, buildUdpFrame, heartbeatPayload, parseIpv4, type EthernetSpec } from '../src/writer/frame-builder.js';
import { PcapWriter } from '../src/writer/pcap-writer.js';

/** Capture start: 2026-03-02T09:00:00Z, in microseconds. */
export const T0_US = Date.UTC(2026, 2, 2, 9, 0, 0) * 1000;
export const MS = 1000;

/** Microseconds to seconds, exactly as an event time rounded to the microsecond reads. */
export function sec(us: number): number {
  return us / 1e6;
}

/** Microseconds to seconds the way the pcap reader builds a packet time (seconds + nanoseconds / 1e9). */
export function packetTime(us: number): number {
  const s = Math.floor(us / 1e6);
  return s + ((us - s * 1e6) * 1000) / 1e9;
}

/** mulberry32: small, seeded, deterministic. */
export class Prng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  }
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
}

/** Heartbeat indices: single indices or inclusive [first, last] ranges. */
export type IndexSet = ReadonlyArray<number | readonly [number, number]>;

export function indexSet(spec: IndexSet | undefined): Set<number> {
  const out = new Set<number>();
  for (const x of spec ?? []) {
    if (typeof x === 'number') out.add(x);
    else for (let i = x[0]; i <= x[1]; i++) out.add(i);
  }
  return out;
}

/**
 * One sender's heartbeats. Heartbeat i (0-based) is sent at
 * start + i × interval (+ the restart pause from the restart on), carries
 * startSeq + i (mod 2^32) or, from a restart on, toSeq + (i − at).
 */
/** Addresses are IPv4 (the frames are Ethernet/IPv4). */
export interface StreamPattern {
  src: string;
  dst: string;
  sport: number;
  dport: number;
  byteOrder?: ByteOrder;
  startSeq?: number;
  /** Offset of heartbeat 0 from the capture start. */
  startMs?: number;
  /** Heartbeats sent (the sender stops after the last). */
  count: number;
  intervalMs?: number;
  /** Sent, never captured. */
  drop?: IndexSet;
  /** From heartbeat `at` on, the sender was cycled: `pauseMs` more silence before it, and its counter starts again at `toSeq` (0). */
  restart?: { at: number; pauseMs: number; toSeq?: number };
  /** Heartbeats captured twice; the copy `duplicateDelayMs` (1 ms) later. */
  duplicate?: readonly number[];
  duplicateDelayMs?: number;
  /** Heartbeat i and i + 1 arrive in each other's time slot. */
  swap?: readonly number[];
  /** [index, ms]: that heartbeat arrives this much after its slot (the others keep theirs). */
  delay?: ReadonlyArray<readonly [number, number]>;
  /** Every arrival moved by a seeded uniform ±jitterMs (whole microseconds). */
  jitterMs?: number;
  seed?: number;
}

export interface ResetPattern {
  atMs: number;
  src: string;
  sport: number;
  dst: string;
  dport: number;
}

export interface Pattern {
  streams: readonly StreamPattern[];
  resets?: readonly ResetPattern[];
  /** When set, a non-heartbeat UDP datagram at this offset makes the capture end there (if nothing is later). */
  endMs?: number;
}

/** One heartbeat as captured. */
export interface Arrival {
  /** Seconds, as the analyzer reads it from the file. */
  time: number;
  /** Microseconds since the epoch (integer). */
  us: number;
  /** Index into Pattern.streams. */
  stream: number;
  id: StreamId;
  /** Which heartbeat of its sender this is. */
  index: number;
  seq: number;
  byteOrder: ByteOrder;
  /** The second copy of a duplicated heartbeat. */
  copy: boolean;
}

export interface ExpandedStream {
  id: StreamId;
  byteOrder: ByteOrder;
  /** Per heartbeat index: its sequence number and its (slot) time in µs, whether captured or not. */
  seqs: number[];
  times: number[];
  dropped: Set<number>;
  /** Heartbeats captured, duplicates included. */
  captured: number;
}

export interface ExpandedPattern {
  streams: ExpandedStream[];
  /** Every captured heartbeat, in file order. */
  arrivals: Arrival[];
  /** In file order; `time` in seconds as the analyzer reads it (a TcpReset for linkResets). */
  resets: Array<ResetPattern & { us: number; time: number }>;
  /** The last packet's time: what the analyzer finishes at. */
  end: number;
  endUs: number;
}

export function streamKey(src: string, sport: number, dst: string, dport: number): string {
  return `${src}:${sport}>${dst}:${dport}`;
}

export function streamIdOf(p: Pick<StreamPattern, 'src' | 'dst' | 'sport' | 'dport'>): StreamId {
  return { key: streamKey(p.src, p.sport, p.dst, p.dport), src: p.src, dst: p.dst, sport: p.sport, dport: p.dport };
}

/** Expand a pattern to what a capture point on the path would record. */
export function expandPattern(pattern: Pattern): ExpandedPattern {
  const arrivals: Arrival[] = [];
  const streams = pattern.streams.map((p, stream): ExpandedStream => {
    const id = streamIdOf(p);
    const order = p.byteOrder ?? 'le';
    const intervalUs = Math.round((p.intervalMs ?? 100) * MS);
    const dropped = indexSet(p.drop);
    const rng = new Prng(p.seed ?? 1 + stream);
    const jitterUs = Math.round((p.jitterMs ?? 0) * MS);
    const seqs: number[] = [];
    const times: number[] = [];
    for (let i = 0; i < p.count; i++) {
      const restarted = p.restart !== undefined && i >= p.restart.at;
      seqs.push(restarted ? ((p.restart!.toSeq ?? 0) + i - p.restart!.at) >>> 0 : ((p.startSeq ?? 0) + i) >>> 0);
      const pause = restarted ? Math.round(p.restart!.pauseMs * MS) : 0;
      // Drawn for every heartbeat, dropped or not, so dropping one does not move the others.
      const jitter = jitterUs ? rng.int(-jitterUs, jitterUs) : 0;
      times.push(T0_US + Math.round((p.startMs ?? 0) * MS) + i * intervalUs + pause + jitter);
    }
    const slot = [...times];
    for (const i of p.swap ?? []) [slot[i], slot[i + 1]] = [slot[i + 1], slot[i]];
    for (const [i, ms] of p.delay ?? []) slot[i] += Math.round(ms * MS);
    let captured = 0;
    const add = (i: number, us: number, copy: boolean): void => {
      arrivals.push({ time: packetTime(us), us, stream, id, index: i, seq: seqs[i], byteOrder: order, copy });
      captured++;
    };
    for (let i = 0; i < p.count; i++) {
      if (dropped.has(i)) continue;
      add(i, slot[i], false);
      if (p.duplicate?.includes(i)) add(i, slot[i] + Math.round((p.duplicateDelayMs ?? 1) * MS), true);
    }
    return { id, byteOrder: order, seqs, times, dropped, captured };
  });
  // Time order; at equal times, the order the pattern lists them in.
  arrivals.sort((a, b) => a.us - b.us || a.stream - b.stream || a.index - b.index);
  const resets = [...(pattern.resets ?? [])].sort((a, b) => a.atMs - b.atMs).map((r) => {
    const us = T0_US + Math.round(r.atMs * MS);
    return { ...r, us, time: packetTime(us) };
  });
  const endUs = Math.max(
    T0_US,
    ...arrivals.map((a) => a.us),
    ...resets.map((r) => r.us),
    pattern.endMs !== undefined ? T0_US + Math.round(pattern.endMs * MS) : T0_US,
  );
  return { streams, arrivals, resets, end: packetTime(endUs), endUs };
}

function macOf(ip: string): string {
  const b = parseIpv4(ip);
  return ['02', '00', ...[...b].map((x) => x.toString(16).padStart(2, '0'))].join(':');
}

function eth(src: string, dst: string): EthernetSpec {
  return { src: macOf(src), dst: macOf(dst) };
}

/** Write the pattern as a microsecond pcap at `path`; returns what was written. */
export function writePatternCapture(path: string, pattern: Pattern): ExpandedPattern {
  const x = expandPattern(pattern);
  const frames: Array<{ us: number; frame: Uint8Array }> = [];
  for (const a of x.arrivals) {
    frames.push({ us: a.us, frame: buildUdpFrame(eth(a.id.src, a.id.dst), { src: a.id.src, dst: a.id.dst, ttl: 64 }, { sport: a.id.sport, dport: a.id.dport, payload: heartbeatPayload(a.seq, a.byteOrder) }) });
  }
  for (const r of x.resets) {
    frames.push({
      us: r.us,
      frame: buildTcpFrame(eth(r.src, r.dst), { src: r.src, dst: r.dst, ttl: 64, df: true }, { sport: r.sport, dport: r.dport, seq: 1000, ack: 2000, flags: TCP_RST | TCP_ACK, window: 0 }),
    });
  }
  if (pattern.endMs !== undefined && frames.every((f) => f.us < x.endUs)) {
    // Not a heartbeat: 8 bytes to the discard port, between two hosts no stream uses.
    frames.push({ us: x.endUs, frame: buildUdpFrame(eth('192.0.2.1', '192.0.2.2'), { src: '192.0.2.1', dst: '192.0.2.2' }, { sport: 9, dport: 9, payload: new Uint8Array(8) }) });
  }
  // Stable: heartbeats before resets at the same microsecond.
  frames.sort((a, b) => a.us - b.us);
  const w = new PcapWriter(path);
  for (const f of frames) {
    const s = Math.floor(f.us / 1e6);
    w.writePacket(s, (f.us - s * 1e6) * 1000, f.frame);
  }
  w.close();
  return x;
}

/** A temporary directory for pattern captures; `cleanup` removes it. */
export function patternDir(prefix = 'ucprobe-hb-'): { file: (name: string) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { file: (name) => join(dir, name), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs of consecutive dropped indices, as [first, length]. */
export function droppedRuns(dropped: ReadonlySet<number>): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  for (const i of [...dropped].sort((a, b) => a - b)) {
    const last = runs[runs.length - 1];
    if (last && last[0] + last[1] === i) last[1]++;
    else runs.push([i, 1]);
  }
  return runs;
}
