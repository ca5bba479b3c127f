// Workers for `analyze`, started before the command's own modules load. A
// worker's start-up (a Node environment, then every analysis module) takes
// about 0.2 s; started once the main thread had loaded its own modules, it
// lay on the path of the second file. bin/ucprobe.js calls startAhead first
// thing, so the two load side by side; a worker not taken is unreferenced
// and goes with the process. This module loads nothing of the analysis
// (the capture readers' magic numbers only).

import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { pcapMagic } from '../sources/pcap.js';
import { PCAPNG_SHB } from '../sources/pcapng.js';

/** workerData of a worker started ahead: its job comes as its first message. */
export const JOB_BY_MESSAGE = 'job by message';

const ahead: Worker[] = [];

/** Whether `path` is a regular file: not a pipe, whose bytes only one reader gets, nor anything missing (its read says so). */
export function regularFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Whether `path` is a regular file that starts like a capture (a pipe is not opened: that would wait for its writer and eat its first bytes). */
function isCapture(path: string): boolean {
  if (!regularFile(path)) return false;
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const head = Buffer.alloc(4);
    if (readSync(fd, head, 0, 4, 0) < 4) return false;
    // pcap (either order, µs or ns), pcapng, or gzip (whatever it holds: the read says).
    return pcapMagic(head) !== null || head.readUInt32BE(0) === PCAPNG_SHB || (head[0] === 0x1f && head[1] === 0x8b);
  } catch {
    // Not a readable file (an option's value, a folder, a missing file): the command says so later if it matters.
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * How many workers `ucprobe analyze ...` in `argv` will start: one per
 * capture beyond the main thread's (up to a core each), or with
 * `--workers N` on one capture, N. A guess from the arguments that are
 * captures (an option's value is not one): a wrong guess costs an idle
 * worker, or the start-up this saves.
 */
export function workersNeeded(argv: readonly string[]): number {
  if (argv[2] !== 'analyze') return 0;
  const args = argv.slice(3);
  // --correlate reads both files into one collector in this thread (main.ts).
  if (args.includes('--correlate')) return 0;
  const captures = args.filter(isCapture).length;
  const cores = availableParallelism();
  if (captures === 1) {
    // Nor is a file split for its RTP series (main.ts).
    if (args.includes('--rtp-series')) return 0;
    const at = args.findIndex((a) => a === '--workers' || a.startsWith('--workers='));
    const n = at < 0 ? 1 : Number(args[at].includes('=') ? args[at].slice('--workers='.length) : args[at + 1]);
    return Number.isInteger(n) && n > 1 ? Math.min(n, cores) : 0;
  }
  return Math.max(Math.min(captures, cores) - 1, 0);
}

/** Start the workers `argv` will want, each loading analyze-worker's modules until its job comes. */
export function startAhead(argv: readonly string[]): void {
  const n = workersNeeded(argv);
  for (let i = 0; i < n; i++) {
    const w = new Worker(new URL('./analyze-worker.js', import.meta.url), { workerData: JOB_BY_MESSAGE });
    w.unref();
    // One that failed to start is not handed out; the job's own worker then says why.
    const drop = (): void => {
      const at = ahead.indexOf(w);
      if (at >= 0) ahead.splice(at, 1);
    };
    w.once('error', drop);
    w.once('exit', drop);
    ahead.push(w);
  }
}

/** A worker started ahead, given `job`, or null when none is left. */
export function takeWorkerAhead(job: unknown): Worker | null {
  const w = ahead.shift();
  if (w === undefined) return null;
  w.ref();
  w.postMessage(job);
  return w;
}
