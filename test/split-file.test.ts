// One file split over workers by host pair (analyze --workers N,
// src/pipeline/partition.ts, src/analysis/split-parts.ts) gives byte for
// byte the outputs one worker gives: text, --json, each CSV table and pb, on
// the demo, every corpus capture and the bench's shapes, against the golden
// pins (one worker's outputs, test/golden-outputs.test.ts). A capture whose
// parts the merge cannot join exactly is read by one worker, with a line on
// stderr saying why; the demo and the mixed shapes must really be split.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './helpers.js';
import { inputNames, normalize, OUTPUTS, prepareInputs, readPins, runInProcess, sha256 } from './golden/golden.js';

const pins = readPins();
let work: { dir: string; cleanup: () => void } | undefined;

before(async () => {
  work = await prepareInputs();
  // The workers start with this process's `--import tsx`, resolved from the work folder.
  symlinkSync(join(REPO, 'node_modules'), join(work.dir, 'node_modules'));
});
after(() => work?.cleanup());

/** Inputs that must be merged, not left to one worker. */
const MUST_SPLIT = new Set(['captures/demo.pcap', 'bench/mixed-20k-seed7.pcap', 'bench/mixed-20k-seed7-ipv6.pcap']);
const ANALYZE_OUTPUTS = OUTPUTS.filter((o) => o.name.startsWith('analyze'));

/** Every analyze output of `input` with `--workers N`, each compared with its pin; the reasons the split was refused, if it was. */
async function splitOutputs(input: string, workers: string, outputs = ANALYZE_OUTPUTS): Promise<string[]> {
  const want = pins[input];
  assert.ok(want, `${input}: no golden pins`);
  const refusals = new Set<string>();
  for (const spec of outputs) {
    const out = join(work!.dir, 'out', `${input.replace(/\//g, '__')}.w${workers}.${spec.name}`);
    mkdirSync(join(work!.dir, 'out'), { recursive: true });
    const { code, stderr } = await runInProcess(work!.dir, [...spec.args(input), '--workers', workers], out);
    assert.ok(code === 0 || code === 2, `${spec.name}: exit ${code}: ${stderr}`);
    assert.ok(existsSync(out), `${spec.name}: wrote nothing: ${stderr}`);
    for (const m of stderr.matchAll(/read by one worker \((.*)\)/g)) refusals.add(m[1]);
    assert.equal(sha256(normalize(spec.name, readFileSync(out))), want[spec.name], `${input} ${spec.name} with --workers ${workers} differs from one worker's`);
  }
  if (MUST_SPLIT.has(input)) assert.deepEqual([...refusals], [], `${input} was not split`);
  return [...refusals];
}

// The parts read one after another in this thread: the partition and the merge as the workers run them, without a worker's start-up per part.
for (const input of inputNames()) {
  test(`${input} split in 2 and 3 parts: the outputs of one worker`, async (t) => {
    process.env.UCPROBE_SPLIT_IN_THREAD = '1';
    try {
      for (const workers of ['2', '3']) {
        const refusals = await splitOutputs(input, workers);
        t.diagnostic(`--workers ${workers}: ${refusals.length === 0 ? 'split and merged' : `one worker (${refusals.join('; ')})`}`);
      }
    } finally {
      delete process.env.UCPROBE_SPLIT_IN_THREAD;
    }
  });
}

// Real workers: the reports cross threads (structured clone) and still merge to the same bytes.
for (const input of MUST_SPLIT) {
  test(`${input} on 2 worker threads: the outputs of one`, async () => {
    await splitOutputs(input, '2', ANALYZE_OUTPUTS.filter((o) => o.name === 'analyze.json' || o.name === 'analyze.txt'));
  });
}
