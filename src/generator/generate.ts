// Sends heartbeat streams on a drift-free schedule: every datagram has an
// absolute due time (start + index × interval + its impairment delay), so
// timer lateness never accumulates. All streams share one queue and one loop.

import { createSocket, type Socket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { ByteOrder } from '../../dissectors/types.js';
import { heartbeatPayload } from '../writer/frame-builder.js';
import { StreamPlan, type Impairments, type Slot, type SlotSource, type Withheld } from './impairments.js';
import { MinHeap } from '../common/min-heap.js';
import { setSocketDscp } from './dscp-socket.js';
import { bindUdp } from './bind-udp.js';
import { quantile } from '../common/quantile.js';

export interface StreamSpec {
  name: string;
  host: string;
  port: number;
  /** Local address and port to send from (0 / unset: any). */
  bind?: string;
  sourcePort?: number;
  intervalMs: number;
  startSeq: number;
  byteOrder: ByteOrder;
  /** Heartbeat slots to run through (sent or withheld). */
  count: number;
  dscp?: number;
  impairments?: Impairments;
  /** Shift the whole stream by this much, ms: many streams spread over the interval instead of sending in one burst. */
  phaseMs?: number;
  /** Where the slots come from instead of a plan on `intervalMs` (a replayed capture). */
  slots?: SlotSource;
}

/** A datagram as it left: for --write and for checks. */
export interface SentDatagram {
  stream: StreamRun;
  seq: number;
  /** Epoch seconds. */
  time: number;
}

export interface StreamRun {
  spec: StreamSpec;
  family: 4 | 6;
  address: string;
  local: { address: string; port: number };
  sent: number;
  duplicates: number;
  restarts: number;
  /** Connection refused by the destination (nobody listening); the datagrams still left. */
  refused: number;
  withheld: Record<Withheld, number>;
  /** Withheld sequence numbers, for the record of what the run left out. */
  withheldSeqs: number[];
}

export interface GenerateSummary {
  streams: StreamRun[];
  /** Send time minus due time over every datagram, ms. */
  sendErrorMs: { p50: number; p99: number; max: number } | null;
  seconds: number;
  /** Epoch seconds of slot 0 (the schedule's origin). */
  startedAt: number;
}

export interface GenerateOptions {
  onSend?: (d: SentDatagram) => void;
  /** Resolves when the run should stop early (Ctrl-C). */
  stop?: Promise<void>;
}

/** Withheld sequence numbers kept per stream for the record. */
const MAX_WITHHELD_KEPT = 100_000;
/** Wake this much before a due time and finish the wait with setImmediate: timers fire late by ~1 ms. */
const SPIN_MS = 1.5;

export class GenerateError extends Error {}

async function openSocket(spec: StreamSpec): Promise<{ socket: Socket; family: 4 | 6; address: string }> {
  let address = spec.host;
  if (!isIP(address)) {
    try {
      address = (await lookup(spec.host)).address;
    } catch {
      throw new GenerateError(`${spec.name}: cannot resolve '${spec.host}'`);
    }
  }
  const family = isIP(address) === 6 ? 6 : 4;
  const socket = createSocket({ type: family === 6 ? 'udp6' : 'udp4' });
  await bindUdp(socket, spec.sourcePort ?? 0, spec.bind).catch((e: Error) => {
    throw new GenerateError(`${spec.name}: cannot bind UDP ${spec.bind ?? 'any address'} port ${spec.sourcePort ?? 0}: ${e.message}`);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.connect(spec.port, address, () => {
      socket.off('error', reject);
      resolve();
    });
  }).catch((e: Error) => {
    socket.close();
    throw new GenerateError(`${spec.name}: cannot send to ${address}:${spec.port}: ${e.message}`);
  });
  if (spec.dscp !== undefined) {
    try {
      setSocketDscp(socket, family, spec.dscp);
    } catch (e) {
      socket.close();
      throw new GenerateError(`${spec.name}: ${(e as Error).message}`);
    }
  }
  return { socket, family, address };
}

type Due = { kind: 'slot'; run: number; slot: Slot } | { kind: 'send'; run: number; seq: number; dueMs: number };

export async function generate(specs: StreamSpec[], opts: GenerateOptions = {}): Promise<GenerateSummary> {
  const opened: Array<{ socket: Socket; family: 4 | 6; address: string }> = [];
  try {
    for (const s of specs) opened.push(await openSocket(s));
  } catch (e) {
    for (const o of opened) o.socket.close();
    throw e;
  }
  let failure: GenerateError | null = null;
  const runs: StreamRun[] = specs.map((spec, i) => ({
    spec, family: opened[i].family, address: opened[i].address, local: opened[i].socket.address(),
    sent: 0, duplicates: 0, restarts: 0, refused: 0,
    withheld: { drop: 0, burst: 0, loss: 0, gemodel: 0, pause: 0 }, withheldSeqs: [],
  }));
  for (const [i, o] of opened.entries()) {
    // A connected UDP socket hears ICMP port-unreachable as ECONNREFUSED: nobody listening yet, keep sending.
    o.socket.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ECONNREFUSED') runs[i].refused++;
      else failure ??= new GenerateError(`${runs[i].spec.name}: sending to ${runs[i].address}:${runs[i].spec.port} failed: ${e.code ?? e.message}`);
    });
  }
  const sources = specs.map((s) => s.slots ?? new StreamPlan(s.intervalMs, s.startSeq, s.impairments, s.count));
  const errors: number[] = [];
  let maxError = 0;
  let stopped = false;
  opts.stop?.then(() => { stopped = true; });

  const queue = new MinHeap<Due>();
  const queueNext = (run: number): void => {
    const slot = sources[run].next();
    if (slot) queue.push(slot.atMs + (specs[run].phaseMs ?? 0), { kind: 'slot', run, slot });
  };
  for (let i = 0; i < specs.length; i++) queueNext(i);
  const t0 = performance.now() + 10; // a moment for the sockets to settle
  const epochOf = (ms: number): number => (performance.timeOrigin + t0 + ms) / 1000;

  const fire = (due: Due, nowMs: number): void => {
    const run = runs[due.run];
    if (due.kind === 'slot') {
      const slot = due.slot;
      if (slot.restarted) run.restarts++;
      if (slot.withheld) {
        run.withheld[slot.withheld]++;
        if (slot.withheld !== 'pause' && run.withheldSeqs.length < MAX_WITHHELD_KEPT) run.withheldSeqs.push(slot.seq);
      }
      for (const [k, at] of slot.sendAtMs.entries()) {
        if (k > 0) run.duplicates++;
        const t = at + (run.spec.phaseMs ?? 0);
        queue.push(t, { kind: 'send', run: due.run, seq: slot.seq, dueMs: t });
      }
      queueNext(due.run);
      return;
    }
    const err = nowMs - due.dueMs;
    if (errors.length < 1_000_000) errors.push(err);
    if (err > maxError) maxError = err;
    // No callback: a failed send comes to the socket's 'error' listener, and a closure per datagram costs at 100k/s.
    // The send time is read right at the send, not at the loop's turn: a busy turn would age it.
    const sentMs = opts.onSend ? performance.now() - t0 : nowMs;
    opened[due.run].socket.send(heartbeatPayload(due.seq, run.spec.byteOrder));
    run.sent++;
    opts.onSend?.({ stream: run, seq: due.seq, time: epochOf(sentMs) });
  };

  await new Promise<void>((resolve) => {
    const loop = (): void => {
      for (;;) {
        const now = performance.now() - t0;
        while (queue.size && queue.peekKey() <= now) fire(queue.pop()!, now);
        if (!queue.size || failure || stopped) return resolve();
        const wait = queue.peekKey() - (performance.now() - t0);
        if (wait > SPIN_MS) {
          setTimeout(loop, wait - SPIN_MS);
          return;
        }
        if (wait > 0) {
          setImmediate(loop);
          return;
        }
      }
    };
    loop();
  });
  // Let the last sends' callbacks report before the sockets close.
  await new Promise((r) => setTimeout(r, 20));
  for (const o of opened) o.socket.close();
  if (failure) throw failure;
  errors.sort((a, b) => a - b);
  const q = (p: number): number => Math.round(quantile(errors, p) * 1000) / 1000;
  return {
    streams: runs,
    sendErrorMs: errors.length ? { p50: q(0.5), p99: q(0.99), max: Math.round(maxError * 1000) / 1000 } : null,
    seconds: Math.round((performance.now() - t0) / 10) / 100,
    startedAt: epochOf(0),
  };
}
