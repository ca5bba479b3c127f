// The ways packets reach a live session, behind one shape: an interface
// (tcpdump's pipe, the wall clock), a whole file (its own timestamps, read at
// once), a file replayed at its pace (a virtual clock) and HEP from capture
// agents elsewhere (synthetic frames, the wall clock).

import { statSync } from 'node:fs';
import { startLiveCapture, type CaptureCounters, type LiveOptions } from '../sources/live-capture.js';
import { readCapture } from '../sources/capture-reader.js';
import { replayPaced } from '../sources/paced-replay.js';
import { startHepListener, type HepListenAddress, type HepListener, type HepListenOptions } from '../sources/hep-listen.js';
import { newFacts, type CaptureFacts, type FrameHandler, type ReadProgress } from '../sources/types.js';
import type { CaptureCountersView, LoadProgress } from './view-model.js';
import { CatchUpClock } from './catch-up-clock.js';

export interface SessionSource {
  /**
   * Epoch seconds the views describe now: the time up to which every packet
   * has been handed on, so silence may be judged up to it. Live sources expect
   * a call at least every CLOCK_TICK_MS (a later one means the process stalled).
   */
  now(): number;
  /** Resolves when the source ends by itself: null for a normal end, else why (one line). */
  readonly ended: Promise<string | null>;
  /** Ask for fresh kernel counters (live only). */
  requestCounters(): void;
  counters(): CaptureCountersView;
  facts: CaptureFacts;
  /** Stop early (Ctrl-C, q, --duration); resolves once every packet read has been handed on. */
  stop(): Promise<void>;
}

/**
 * Live packets carry kernel timestamps and reach us a little later through
 * tcpdump's pipe; the detector's clock runs this far behind the wall clock so
 * a heartbeat still in the pipe is not counted as missed.
 */
export const LIVE_CLOCK_LAG_SEC = 0.025;
/** How often a live view asks its source for the time (and so the detector's clock moves on). */
export const CLOCK_TICK_MS = 20;

/** The catch-up clock of a live source, and the frame handler that tells it of each packet. */
function liveClock(onFrame: FrameHandler, wallClock: () => number): { clock: CatchUpClock; onFrame: FrameHandler } {
  const clock = new CatchUpClock(wallClock, LIVE_CLOCK_LAG_SEC);
  return {
    clock,
    onFrame: (info, bytes) => {
      if (info.tsSec > 0) clock.packet(info.tsSec + info.tsNsec / 1e9);
      onFrame(info, bytes);
    },
  };
}

const NO_COUNTERS: CaptureCountersView = { kernelDrops: null, interfaceDrops: null };

export async function interfaceSource(opts: LiveOptions, onFrame: FrameHandler, wallClock: () => number = () => Date.now() / 1000): Promise<SessionSource> {
  const live = liveClock(onFrame, wallClock);
  const cap = await startLiveCapture(opts, live.onFrame);
  let final: CaptureCounters | null = null;
  return {
    now: () => live.clock.now(CLOCK_TICK_MS / 1000),
    ended: cap.ended,
    requestCounters: () => cap.requestCounters(),
    counters: () => {
      const c = final ?? cap.counters;
      return c ? { kernelDrops: c.droppedByKernel, interfaceDrops: c.droppedByInterface } : NO_COUNTERS;
    },
    facts: cap.facts,
    stop: async () => {
      final = (await cap.stop()) ?? cap.counters;
    },
  };
}

/** Bytes of a plain file (null for a pipe, or one that cannot be read: the reader says why). */
function fileSize(path: string): number | null {
  try {
    const st = statSync(path);
    return st.isFile() ? st.size : null;
  } catch {
    return null;
  }
}

/** A file read as fast as it goes, with how far it has got for the view to show. */
export interface FileSessionSource extends SessionSource {
  /** Null once the file is read (or the read stopped). */
  loading(): LoadProgress | null;
}

/**
 * The whole file, read in chunks on the event loop's turns (a plain file 4
 * MiB at a time) so the view draws and takes keys while it reads; the clock
 * is the last packet handed on, so the view shows the file as it stood then.
 */
export function fileSource(path: string, onFrame: FrameHandler): FileSessionSource {
  const facts = newFacts();
  const progress: ReadProgress = { bytes: 0, total: fileSize(path), facts };
  let last = 0;
  let stopped = false;
  let done = false;
  const handler: FrameHandler = (info, bytes) => {
    const t = info.tsSec + info.tsNsec / 1e9;
    if (t > last) last = t;
    onFrame(info, bytes);
  };
  // From the next turn on: the reader parses its first chunk before it first waits, and the view comes first.
  const read = new Promise<void>((r) => setImmediate(r)).then(() => readCapture(path, handler, facts, () => stopped, progress));
  const ended = read.then(() => null, (e: unknown) => (e instanceof Error ? e.message : String(e))).finally(() => {
    done = true;
  });
  return {
    now: () => (done ? facts.lastTs ?? last : last),
    ended,
    requestCounters: () => undefined,
    counters: () => NO_COUNTERS,
    facts,
    stop: async () => {
      stopped = true;
      await ended;
    },
    loading: () => (done ? null : {
      percent: progress.total !== null && progress.total > 0 ? Math.min(100, Math.floor((progress.bytes * 100) / progress.total)) : null,
      packets: facts.packets,
    }),
  };
}

export function replaySource(path: string, onFrame: FrameHandler, speed: number): SessionSource {
  const abort = new AbortController();
  const replay = replayPaced(path, onFrame, { speed, signal: abort.signal });
  const ended = replay.done.then(() => null);
  return {
    // The capture's clock: it waits for queued frames after a stall and stops at the last one.
    now: () => replay.now() ?? 0,
    ended,
    requestCounters: () => undefined,
    counters: () => NO_COUNTERS,
    facts: replay.facts,
    stop: async () => {
      abort.abort();
      await ended.catch(() => undefined);
    },
  };
}

/**
 * HEP from capture agents: frames carry the agents' timestamps, while the
 * session's clock is the wall clock (silence is measured here, as live).
 */
export async function hepSource(addr: HepListenAddress, onFrame: FrameHandler, opts: HepListenOptions = {}, wallClock: () => number = () => Date.now() / 1000): Promise<SessionSource & { listener: HepListener }> {
  const live = liveClock(onFrame, wallClock);
  const listener = await startHepListener(addr, live.onFrame, { clock: wallClock, ...opts });
  return {
    listener,
    now: () => live.clock.now(CLOCK_TICK_MS / 1000),
    ended: listener.ended,
    requestCounters: () => undefined,
    counters: () => NO_COUNTERS,
    facts: listener.facts,
    stop: () => listener.stop(),
  };
}
