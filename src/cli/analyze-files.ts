// `analyze` over several files on every core: one lane per core takes the
// next file when it is free; the first lane is this thread (its modules are
// loaded, a worker's cost a start-up), the others are a worker thread each.
// The reports come back in the order of the command line, so the output is
// the same as one file after another. Ctrl-C sets a flag every reader asks
// after each packet.

import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { analyzeFile, failoverOverlaps, type FileReport, type PartOfFile } from '../analysis/analyze.js';
import { mergeParts } from '../analysis/split-parts.js';
import { PART_GONE, say, SplitStop } from './split-stop.js';
import type { Partition } from '../pipeline/partition.js';
import type { PipelineOptions } from '../pipeline/pipeline.js';
import type { DetectorParams } from '../heartbeat/params.js';
import type { DscpPolicy } from '../dscp/policy.js';
import type { SipAnalysisParams } from '../sip/analyzer.js';
import type { ReadProgress } from '../sources/types.js';
import { newFacts, newProgress } from '../sources/types.js';
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
import { regularFile, takeWorkerAhead } from './workers-ahead.js';
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
  /** One part of a file split by conversation (src/pipeline/partition.ts). */
  part?: Partition;
  /** With a part: Int32 per part, how far each had read when it heard Ctrl-C (split-stop.ts). */
  stopCounts?: SharedArrayBuffer;
}

/** What a worker sends back: the report, and with a part, what the merge needs. */
export interface WorkerAnswer {
  report?: FileReport;
  part?: PartOfFile;
  error?: { message: string; name: string };
}

/** A worker running analyze-worker beside this module; run from the sources (the tests), it loads them through tsx as this thread does. */
function analyzeWorker(job: AnalyzeJob): Worker {
  const ahead = takeWorkerAhead(job);
  if (ahead !== null) return ahead;
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./analyze-worker.js', import.meta.url), { workerData: job });
  const source = JSON.stringify(new URL('./analyze-worker.ts', import.meta.url).href);
  return new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${source}); });`, { eval: true, workerData: job });
}

export const PROGRESS_BYTES = 0;
export const PROGRESS_TOTAL = 1;
export const PROGRESS_PACKETS = 2;

/**
 * How many workers read one file (1: no split): only what --workers asks.
 * Every part reads and walks the whole file, so a split costs about half as
 * much CPU again, and on 2 idle cores it was still slower than one worker
 * (4 M packets of the older mix: 1.91-2.12 s against 1.52-1.75 s; the
 * cluster-shaped 2 M: 4.55 s against 3.34 s): it is not the default.
 */
export function splitWorkers(files: string[], workers: string | undefined): number {
  if (files.length !== 1 || files[0] === '-' || workers === undefined) return 1;
  const n = wholeNumber(workers, '--workers') || 1;
  // Every part opens the file: a pipe would hand each part a share of its bytes, not the whole.
  return n > 1 && regularFile(files[0]) ? n : 1;
}

/** Whether these files are worth a worker each: more than one, none of them stdin. */
export function parallelWorthwhile(files: string[]): boolean {
  return files.length > 1 && !files.includes('-') && availableParallelism() > 1;
}

/**
 * Analyze `files` on up to one worker per core. `progressOf(file)` gives the
 * progress to keep up to date for the display, `stopped()` is asked while
 * waiting; reports come back in command-line order (those not started when
 * stopped are left out, as one after another would leave them unread), and
 * those Ctrl-C cut short go to `cut` too.
 */
export async function analyzeInWorkers(files: string[], flags: AnalyzeFlags, progressOf: (file: string) => ReadProgress, stopped: () => boolean, cut: FileReport[] = []): Promise<FileReport[]> {
  const stop = new SharedArrayBuffer(4);
  const stopFlag = new Int32Array(stop);
  const results: Array<FileReport | Error | undefined> = new Array(files.length);
  let next = 0;
  const run = async (lane: number): Promise<void> => {
    // After a failure, files later on the command line are not started: one after another would not read them.
    while (next < files.length && !stopped() && !results.some((r) => r instanceof Error)) {
      const i = next++;
      const progress = progressOf(files[i]);
      const report = lane === 0
        ? analyzeJob(files[i], flags, progress, () => stopped() || Atomics.load(stopFlag, 0) === 1).then((a) => a.report!)
        : one(files[i], flags, stop, progress, () => {
          if (stopped()) Atomics.store(stopFlag, 0, 1);
        });
      results[i] = await report.catch((e: Error) => e);
      // Still being read when Ctrl-C came: cut short (each lane's file, not only the last).
      if (stopped() && !(results[i] instanceof Error)) cut.push(results[i] as FileReport);
    }
  };
  // This thread's lane starts only once the workers' have taken their first files, so those start first.
  const lanes = Array.from({ length: Math.min(files.length, availableParallelism()) }, (_, lane) => lane);
  await Promise.all([...lanes.slice(1).map(run), run(0)]);
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
  return inWorker(file, flags, stop, progress, poll).then((a) => a.report!);
}

/** One file, or one part of it, as a worker analyses it: the options rebuilt from the flags (a loaded policy does not cross threads; its file does). */
export async function analyzeJob(file: string, flags: AnalyzeFlags, progress: ReadProgress, until: () => boolean, partition?: Partition, readDone?: () => void): Promise<WorkerAnswer> {
  const s = analyzeSetup(flags);
  const part: PartOfFile | undefined = partition !== undefined ? { ...partition } : undefined;
  const report = await analyzeFile(file, s.opts, s.params, [], { dscpPolicy: s.dscpPolicy, sip: s.sip, media: s.media, rtpSeries: s.rtpSeries, cluster: s.cluster, filter: s.filter, count: s.count, progress, until, partition: part, readDone });
  return { report, part };
}

/**
 * Where the parts of a split file are read: each in a worker thread of its
 * own (the command line's only way), or side by side in this thread through
 * the same partition and merge (the tests ask for it: a worker's start-up per
 * part costs seconds there).
 */
export type SplitParts = 'worker threads' | 'this thread';

/**
 * One big file on `workers` workers, each analysing the datagrams of its
 * conversations (src/pipeline/partition.ts), the parts merged into the report
 * one worker gives (src/analysis/split-parts.ts). When a part holds what the
 * merge cannot join exactly, `refused` hears why and the report is null:
 * the caller reads the file with one worker.
 */
export async function analyzeSplit(file: string, flags: AnalyzeFlags, workers: number, progress: ReadProgress, stopped: () => boolean, refused: (why: string) => void, parts: SplitParts = 'worker threads'): Promise<FileReport | null> {
  const stop = new SharedArrayBuffer(4);
  const stopFlag = new Int32Array(stop);
  const shown: ReadProgress[] = Array.from({ length: workers }, () => newProgress());
  const inThread = parts === 'this thread';
  const stopCounts = SplitStop.counts(workers);
  const answers = await Promise.all(shown.map((p, index) => inThread ? analyzeJob(file, flags, p, stopped, { index, count: workers }) : inWorker(file, flags, stop, p, () => {
    // Progress is the slowest part's.
    const slowest = shown.reduce((a, b) => (b.bytes < a.bytes ? b : a));
    progress.bytes = slowest.bytes;
    progress.total = slowest.total;
    progress.facts = slowest.facts;
    if (stopped()) Atomics.store(stopFlag, 0, 1);
  }, { index, count: workers }, stopCounts)));
  const refusal = answers.map((a) => a.part!.refusal).find((r) => r !== null && r !== undefined);
  // Ctrl-C: the workers stopped after the same frame (split-stop.ts); parts in this thread cannot wait for each other.
  if (inThread && stopped()) return null;
  if (refusal !== undefined) refused(refusal);
  else {
    const merged = mergeParts(answers.map((a) => ({ report: a.report!, probeFlows: a.part!.probeFlows!, dscpFirst: a.part!.dscpFirst!, rtcp: a.part!.rtcp! })), (r) => failoverOverlaps(r.heartbeats, r.rtp));
    if (typeof merged !== 'string') return merged;
    refused(merged);
  }
  return null;
}

function inWorker(file: string, flags: AnalyzeFlags, stop: SharedArrayBuffer, progress: ReadProgress, poll: () => void, part?: Partition, stopCounts?: SharedArrayBuffer): Promise<WorkerAnswer> {
  const shared = new SharedArrayBuffer(3 * 8);
  const view = new Float64Array(shared);
  const worker = analyzeWorker({ file, flags, stop, progress: shared, part, stopCounts });
  // A part that failed will not say how far it read: the others must not wait for it.
  const gone = (): void => {
    if (part !== undefined && stopCounts !== undefined) say(new Int32Array(stopCounts), part.index, PART_GONE);
  };
  progress.facts = newFacts();
  const watch = setInterval(() => {
    progress.bytes = view[PROGRESS_BYTES];
    progress.total = view[PROGRESS_TOTAL] < 0 ? null : view[PROGRESS_TOTAL];
    progress.facts!.packets = view[PROGRESS_PACKETS];
    poll();
  }, 100);
  return new Promise<WorkerAnswer>((resolve, reject) => {
    worker.once('message', (m: WorkerAnswer) => {
      if (m.report) resolve(m);
      // The worker's errors as the main thread would have thrown them: bad flags, or a file that cannot be read at all.
      else reject(m.error!.name === 'UsageError' ? new UsageError(m.error!.message) : new CaptureError(m.error!.message));
    });
    worker.once('error', reject);
    worker.once('exit', () => {
      clearInterval(watch);
      gone();
    });
  });
}
