// Replaying a capture's heartbeat streams: one streaming pass keeps each
// stream's (time, DWORD) pairs in compact typed arrays, then a ReplaySource
// per stream turns them back into generator slots on the capture's own clock,
// sped up or slowed down, with the loss models applied on top. Heartbeats the
// capture never saw are simply not there, so they stay lost.

import type { ByteOrder } from '../../dissectors/types.js';
import { readCapture } from '../sources/capture-reader.js';
import { newFacts, type CaptureFacts } from '../sources/types.js';
import { Pipeline, type PipelineOptions } from '../pipeline/pipeline.js';
import { flowKey } from '../pipeline/flow-key.js';
import { GenerateError } from './generate.js';
import { Impairer, type Impairments, type Slot, type SlotSource } from './impairments.js';

/** Heartbeats kept over all streams: 12 bytes each (up to twice that while an array doubles). */
export const MAX_REPLAY_HEARTBEATS = 20_000_000;
const INITIAL_CAPACITY = 256;

/** A replay that cannot go ahead (too many heartbeats, none at all); the CLI prints it as one line. */
export class ReplayError extends GenerateError {}

/** One captured heartbeat stream (one direction), its heartbeats in capture order. */
export interface CapturedStream {
  /** Flow key as analyze prints it: "src:sport>dst:dport". */
  key: string;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  /** The order the pipeline settled on for this stream (the last heartbeat's). */
  byteOrder: ByteOrder;
  /** DSCP of the first heartbeat. */
  dscp: number;
  count: number;
  /** Seconds from `CaptureStreams.baseSec` (relative, so a double keeps nanoseconds). */
  times: Float64Array;
  /** The payload as a big-endian DWORD: the bytes exactly as captured, whatever the order. */
  raw: Uint32Array;
}

export interface CaptureStreams {
  /** In order of first heartbeat, as analyze lists them. */
  streams: CapturedStream[];
  /** Whole epoch seconds that `times` count from. */
  baseSec: number;
  facts: CaptureFacts;
}

/** Swap the bytes of a DWORD. */
function bswap32(x: number): number {
  return (((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;
}

/** The sequence number of heartbeat `i` read in `order`. */
export function seqAt(s: CapturedStream, i: number, order: ByteOrder = s.byteOrder): number {
  return order === 'be' ? s.raw[i] : bswap32(s.raw[i]);
}

/** Grows by doubling, so a stream costs 12 bytes per heartbeat and no object per packet. */
class StreamBuffer {
  count = 0;
  times = new Float64Array(INITIAL_CAPACITY);
  raw = new Uint32Array(INITIAL_CAPACITY);

  push(t: number, raw: number): void {
    if (this.count === this.times.length) {
      const times = new Float64Array(this.count * 2);
      times.set(this.times);
      this.times = times;
      const r = new Uint32Array(this.count * 2);
      r.set(this.raw);
      this.raw = r;
    }
    this.times[this.count] = t;
    this.raw[this.count++] = raw;
  }
}

interface Collecting {
  stream: Omit<CapturedStream, 'count' | 'times' | 'raw'>;
  buf: StreamBuffer;
}

/** Read every heartbeat stream of a capture in one pass; throws ReplayError past `maxHeartbeats`. */
export async function collectHeartbeatStreams(
  path: string,
  opts: Partial<PipelineOptions> = {},
  maxHeartbeats = MAX_REPLAY_HEARTBEATS,
): Promise<CaptureStreams> {
  const byKey = new Map<string, Collecting>();
  let total = 0;
  let baseSec: number | null = null;
  const pipeline = new Pipeline([(rec) => {
    const ip = rec.ip;
    const p = rec.payload;
    if (rec.app !== 'mds-heartbeat' || !rec.hb || !ip || !p || p.length !== 4) return;
    if (++total > maxHeartbeats) {
      throw new ReplayError(`${path}: more than ${maxHeartbeats} heartbeats; replay keeps at most that many in memory (cut the capture, e.g. with editcap -r)`);
    }
    baseSec ??= rec.tsSec;
    const key = flowKey(rec);
    let c = byKey.get(key);
    if (!c) {
      c = { stream: { key, src: ip.src, dst: ip.dst, sport: rec.sport, dport: rec.dport, byteOrder: rec.hb.byteOrder, dscp: ip.dscp }, buf: new StreamBuffer() };
      byKey.set(key, c);
    }
    // The order may settle only after a few heartbeats: the last word counts, and the raw bytes keep the early ones right.
    c.stream.byteOrder = rec.hb.byteOrder;
    c.buf.push(rec.tsSec - baseSec + rec.tsNsec / 1e9, ((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0);
  }], opts);
  const facts = await readCapture(path, pipeline.frame, newFacts());
  const streams = [...byKey.values()].map(({ stream, buf }): CapturedStream => ({
    ...stream, count: buf.count, times: buf.times.subarray(0, buf.count), raw: buf.raw.subarray(0, buf.count),
  }));
  streams.sort((a, b) => a.times[0] - b.times[0] || a.key.localeCompare(b.key));
  return { streams, baseSec: baseSec ?? 0, facts };
}

/** Mean time between a stream's heartbeats, ms (100 when it has only one). */
export function meanIntervalMs(s: CapturedStream): number {
  return s.count > 1 ? ((s.times[s.count - 1] - s.times[0]) * 1000) / (s.count - 1) : 100;
}

export interface ReplayOptions {
  /** Capture seconds (on the streams' base) that map to slot time 0: the first heartbeat of every stream replayed. */
  t0: number;
  /** 2 plays twice as fast; every time, the loss models' included, is divided by it. */
  speed: number;
  /** Send in this order instead of the captured one: the same sequence numbers, other bytes. */
  byteOrder?: ByteOrder;
  impairments?: Impairments;
}

/**
 * A captured stream as generator slots. The loss models see capture time
 * (ms from t0), so `--burst 5@30s` or a 20 ms delay hit the same heartbeats
 * at every speed; the result is then scaled by 1/speed like the rest.
 */
export class ReplaySource implements SlotSource {
  private readonly impairer: Impairer;
  private index = 0;
  private lastAtMs = 0;
  readonly byteOrder: ByteOrder;

  constructor(private readonly stream: CapturedStream, private readonly opts: ReplayOptions) {
    if (!(opts.speed > 0)) throw new RangeError(`speed must be more than 0, got ${opts.speed}`);
    this.byteOrder = opts.byteOrder ?? stream.byteOrder;
    // A reordered heartbeat is held back behind the next one: 1.5 of this stream's intervals.
    this.impairer = new Impairer(opts.impairments ?? {}, meanIntervalMs(stream) * 1.5);
  }

  next(): Slot | null {
    const s = this.stream;
    if (this.index >= s.count) return null;
    const index = this.index++;
    const captureMs = (s.times[index] - this.opts.t0) * 1000;
    // The captured number; --byte-order changes only the bytes it goes out in.
    const seq = seqAt(s, index);
    const { withheld, sendAtMs } = this.impairer.decide(seq, captureMs, index);
    // Capture timestamps may step back a little (several interfaces, clock steps); slots go forward.
    const atMs = Math.max(this.lastAtMs, captureMs / this.opts.speed);
    this.lastAtMs = atMs;
    return { index, atMs, seq, sendAtMs: sendAtMs.map((t) => Math.max(atMs, t / this.opts.speed)), withheld, restarted: false };
  }
}
