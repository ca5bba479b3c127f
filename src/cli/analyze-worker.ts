// One file of `analyze a.pcap b.pcap ...`, in a worker thread: the same
// analyzeFile as the main thread runs, with the options rebuilt from the
// command's flags here (a loaded policy does not cross threads; its file
// does). Progress and Ctrl-C go through shared memory (see analyze-files.ts).

import { parentPort, workerData } from 'node:worker_threads';
import { newProgress } from '../sources/types.js';
import { interruptPipeReads } from '../sources/capture-reader.js';
import { SplitStop } from './split-stop.js';
import { JOB_BY_MESSAGE } from './workers-ahead.js';
import { analyzeJob, type AnalyzeJob, PROGRESS_BYTES, PROGRESS_PACKETS, PROGRESS_TOTAL } from './analyze-files.js';

// Started ahead of the command's modules (workers-ahead.ts): the job follows as a message.
const job: AnalyzeJob = workerData === JOB_BY_MESSAGE ? await new Promise((resolve) => parentPort!.once('message', resolve)) : workerData;
const stop = new Int32Array(job.stop);
const shared = new Float64Array(job.progress);
const progress = newProgress();
const publish = setInterval(() => {
  // Ctrl-C, said through `stop`: a read waiting on a pipe would not ask `until` again.
  if (Atomics.load(stop, 0) === 1) interruptPipeReads();
  shared[PROGRESS_BYTES] = progress.bytes;
  shared[PROGRESS_TOTAL] = progress.total ?? -1;
  shared[PROGRESS_PACKETS] = progress.facts?.packets ?? 0;
}, 100);
// A part of a split file stops where the other parts do (split-stop.ts).
const partStop = job.part !== undefined && job.stopCounts !== undefined ? new SplitStop(stop, new Int32Array(job.stopCounts), job.part.index) : null;
try {
  parentPort!.postMessage(await analyzeJob(job.file, job.flags, progress, partStop?.until ?? (() => Atomics.load(stop, 0) === 1), job.part, () => partStop?.done()));
} catch (e) {
  partStop?.done();
  parentPort!.postMessage({ error: { message: (e as Error).message, name: (e as Error).name } });
} finally {
  clearInterval(publish);
}
