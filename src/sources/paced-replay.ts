// `tui <file> --replay`: a capture handed on at its original pace (or
// faster), so the live views can be watched and tested without an interface.
// The reader runs ahead into a bounded queue of copied frames and waits for
// room, so memory stays bounded whatever the file's size.

import type { FrameInfo } from '../../dissectors/types.js';
import { fileChunks, readCaptureStream } from './capture-reader.js';
import { newFacts, type CaptureFacts, type FrameHandler } from './types.js';

export interface PacedOptions {
  /** 1 = the capture's own pace, 2 = twice as fast. */
  speed: number;
  /** Seconds on a monotonic clock; injected by tests. */
  clock?: () => number;
  signal?: AbortSignal;
}

export interface PacedReplay {
  facts: CaptureFacts;
  /**
   * The capture time being shown: the first packet's time plus the elapsed
   * time × speed, but never past a frame not yet handed on (after a stall the
   * queued frames go first) nor past the last frame (no silence after the end
   * of the file). Null before the first frame.
   */
  now(): number | null;
  /** Every frame handed on (or the replay aborted); rejects with a CaptureError as readCapture does. */
  done: Promise<CaptureFacts>;
}

/** Frames read ahead of their time. */
const QUEUE_HIGH = 4096;
/** Frames handed on before letting the event loop (the UI) run. */
const BATCH = 1000;
const MAX_SLEEP_MS = 50;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function replayPaced(path: string, onFrame: FrameHandler, opts: PacedOptions): PacedReplay {
  const clock = opts.clock ?? ((): number => performance.now() / 1000);
  const facts = newFacts();
  const queue: Array<{ info: FrameInfo; bytes: Uint8Array }> = [];
  /** The reader waiting for room in the queue. */
  let room: (() => void) | undefined;
  const releaseReader = (): void => {
    const r = room;
    room = undefined;
    r?.();
  };
  let readDone = false;
  let origin: { ts: number; wall: number } | null = null;
  /** The newest timestamp handed on. */
  let delivered = -Infinity;

  async function* paced(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    for await (const c of chunks) {
      while (queue.length > QUEUE_HIGH && !opts.signal?.aborted) await new Promise<void>((r) => (room = r));
      if (opts.signal?.aborted) return;
      yield c;
    }
  }

  const reading = readCaptureStream(path, paced(fileChunks(path, facts)), (info, bytes) => queue.push({ info: { ...info }, bytes: bytes.slice() }), facts)
    .finally(() => (readDone = true));

  const delivering = (async (): Promise<void> => {
    let batch = 0;
    while (!opts.signal?.aborted && !(readDone && queue.length === 0)) {
      const f = queue[0];
      if (f === undefined) {
        await sleep(5);
        continue;
      }
      const ts = f.info.tsSec + f.info.tsNsec / 1e9;
      // Frames without a timestamp (simple packet blocks) go at once.
      if (origin === null && ts > 0) origin = { ts, wall: clock() };
      const wait = origin !== null && ts > 0 ? origin.wall + (ts - origin.ts) / opts.speed - clock() : 0;
      if (wait > 0 || batch >= BATCH) {
        batch = 0;
        await sleep(Math.min(wait * 1000, MAX_SLEEP_MS));
        continue;
      }
      queue.shift();
      batch++;
      if (ts > delivered) delivered = ts;
      onFrame(f.info, f.bytes);
      if (queue.length <= QUEUE_HIGH / 2) releaseReader();
    }
    releaseReader();
  })();

  const done = (async (): Promise<CaptureFacts> => {
    let error: unknown = null;
    await reading.catch((e: unknown) => (error = e));
    await delivering;
    if (error !== null) throw error;
    return facts;
  })();

  return {
    facts,
    now: () => {
      if (origin === null) return null;
      const virtual = origin.ts + (clock() - origin.wall) * opts.speed;
      const head = queue[0];
      const next = head ? head.info.tsSec + head.info.tsNsec / 1e9 : 0;
      // The next frame bounds the clock; with none queued, the last one handed on does (the reader
      // is behind, or the file has ended).
      return Math.min(virtual, next > 0 ? next : Math.max(delivered, origin.ts));
    },
    done,
  };
}
