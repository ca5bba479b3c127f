// `analyze` over several files on every core: each file is read in a worker
// thread of its own (at most one per core), and the reports come back in the
// order of the command line, so the output is the same as one file after
// another. Ctrl-C sets a flag every worker's reader asks after each packet.

import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import type { FileReport } from '../analysis/analyze.js';
import type { PipelineOptions } from '../pipeline/pipeline.js';
import type { DetectorParams } from '../heartbeat/params.js';
import type { DscpPolicy } from '../dscp/policy.js';
import type { SipAnalysisParams } from '../sip/analyzer.js';
import type { ReadProgress } from '../sources/types.js';
import { newFacts } from '../sources/types.js';
import { loadPolicyFile } from '../dscp/policy-file.js';
import { clusterParams, detectorFlags, pipelineOptions, type HeartbeatFlags } from './options.js';
import type { ClusterParams } from '../cluster/params.js';
import { sipTimeout } from './parse.js';
import { CaptureError } from '../sources/types.js';
import { UsageError } from '../common/errors.js';
import { CaptureFilter } from '../sources/bpf.js';
import { LINKTYPE_ETHERNET } from '../../dissectors/link.js';
import { wholeNumber } from './parse.js';
import { mediaParams, type MediaFlags } from './media-options.js';
import type { MediaParams } from '../media/analyzer.js';

/** The flags that decide what analyzeFile does; plain data, so they cross to a worker. */
export interface AnalyzeFlags extends HeartbeatFlags, MediaFlags {
  policy?: string;
  sipTimeout?: string;
  filter?: string;
  count?: string;
}

export interface AnalyzeSetup {
  opts: Partial<PipelineOptions>;
  params: Partial<DetectorParams>;
  dscpPolicy?: DscpPolicy;
  sip: Partial<SipAnalysisParams>;
  filter?: CaptureFilter;
  count?: number;
  media: Partial<MediaParams>;
  cluster: Partial<ClusterParams>;
  rtpSeries: boolean;
}

export function analyzeSetup(flags: AnalyzeFlags): AnalyzeSetup {
  return {
    opts: pipelineOptions(flags),
    params: detectorFlags(flags),
    dscpPolicy: flags.policy !== undefined ? loadPolicyFile(flags.policy) : undefined,
    sip: sipTimeout(flags.sipTimeout, '--sip-timeout'),
    filter: flags.filter !== undefined ? captureFilter(flags.filter) : undefined,
    count: flags.count !== undefined ? wholeNumber(flags.count, '--count') : undefined,
    media: mediaParams(flags),
    cluster: clusterParams(flags),
    rtpSeries: flags.rtpSeries === true,
  };
}

/** A capture filter, its syntax checked now (compiled for Ethernet) so a bad one is said before any file is read. */
export function captureFilter(expr: string): CaptureFilter {
  const f = new CaptureFilter(expr);
  f.matches(LINKTYPE_ETHERNET, new Uint8Array(0), 0, 0, 0);
  return f;
}

export interface AnalyzeJob {
  file: string;
  flags: AnalyzeFlags;
  /** Int32: 1 = stop reading (Ctrl-C). */
  stop: SharedArrayBuffer;
  /** Float64 × 3: bytes read, file size (-1 unknown), packets. */
  progress: SharedArrayBuffer;
}

export const PROGRESS_BYTES = 0;
export const PROGRESS_TOTAL = 1;
export const PROGRESS_PACKETS = 2;

/** Whether these files are worth a worker each: more than one, none of them stdin. */
export function parallelWorthwhile(files: string[]): boolean {
  return files.length > 1 && !files.includes('-') && availableParallelism() > 1;
}

/**
 * Analyze `files` on up to one worker per core. `progressOf(file)` gives the
 * progress to keep up to date for the display, `stopped()` is asked while
 * waiting; reports come back in command-line order (those not started when
 * stopped are left out, as one after another would leave them unread).
 */
export async function analyzeInWorkers(files: string[], flags: AnalyzeFlags, progressOf: (file: string) => ReadProgress, stopped: () => boolean): Promise<FileReport[]> {
  const stop = new SharedArrayBuffer(4);
  const stopFlag = new Int32Array(stop);
  const results: Array<FileReport | Error | undefined> = new Array(files.length);
  let next = 0;
  const run = async (): Promise<void> => {
    // After a failure, files later on the command line are not started: one after another would not read them.
    while (next < files.length && !stopped() && !results.some((r) => r instanceof Error)) {
      const i = next++;
      results[i] = await one(files[i], flags, stop, progressOf(files[i]), () => {
        if (stopped()) Atomics.store(stopFlag, 0, 1);
      }).catch((e: Error) => e);
    }
  };
  await Promise.all(Array.from({ length: Math.min(files.length, availableParallelism()) }, run));
  // In command-line order: the first failure is the one one after another would have met.
  const done: FileReport[] = [];
  for (const r of results) {
    if (r === undefined) break;
    if (r instanceof Error) throw r;
    done.push(r);
  }
  return done;
}

function one(file: string, flags: AnalyzeFlags, stop: SharedArrayBuffer, progress: ReadProgress, poll: () => void): Promise<FileReport> {
  const shared = new SharedArrayBuffer(3 * 8);
  const view = new Float64Array(shared);
  const worker = new Worker(new URL('./analyze-worker.js', import.meta.url), { workerData: { file, flags, stop, progress: shared } satisfies AnalyzeJob });
  progress.facts = newFacts();
  const watch = setInterval(() => {
    progress.bytes = view[PROGRESS_BYTES];
    progress.total = view[PROGRESS_TOTAL] < 0 ? null : view[PROGRESS_TOTAL];
    progress.facts!.packets = view[PROGRESS_PACKETS];
    poll();
  }, 100);
  return new Promise<FileReport>((resolve, reject) => {
    worker.once('message', (m: { report?: FileReport; error?: { message: string; name: string } }) => {
      if (m.report) resolve(m.report);
      // The worker's errors as the main thread would have thrown them: bad flags, or a file that cannot be read at all.
      else reject(m.error!.name === 'UsageError' ? new UsageError(m.error!.message) : new CaptureError(m.error!.message));
    });
    worker.once('error', reject);
    worker.once('exit', () => clearInterval(watch));
  });
}
