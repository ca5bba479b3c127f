// One file split over workers by conversation (analyze --workers N,
// src/pipeline/partition.ts, src/analysis/split-parts.ts) gives byte for
// byte the outputs one worker gives: text, --json, each CSV table and pb, on
// the demo, every corpus capture and the bench's shapes, against the golden
// pins (one worker's outputs, test/golden-outputs.test.ts). A capture whose
// parts the merge cannot join exactly is read by one worker, with a line on
// stderr saying why; the demo and the mixed shapes must really be split.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { rtcpCompound, rtcpRr, rtcpSdes, rtcpSr } from '../dissectors/rtcp.js';
import { drop, plan, writeMediaCapture, type Datagram, type StreamSpec } from './media-fixtures.js';
import { REPO } from './helpers.js';
import { inputNames, normalize, OUTPUTS, prepareInputs, readPins, runInProcess, sha256 } from './golden/golden.js';
import type { SplitParts } from '../src/cli/analyze-files.js';

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
async function splitOutputs(input: string, workers: string, parts: SplitParts, outputs = ANALYZE_OUTPUTS): Promise<string[]> {
  const want = pins[input];
  assert.ok(want, `${input}: no golden pins`);
  const refusals = new Set<string>();
  for (const spec of outputs) {
    const out = join(work!.dir, 'out', `${input.replace(/\//g, '__')}.w${workers}.${spec.name}`);
    mkdirSync(join(work!.dir, 'out'), { recursive: true });
    const { code, stderr } = await runInProcess(work!.dir, [...spec.args(input), '--workers', workers], out, { splitParts: parts });
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
    for (const workers of ['2', '3']) {
      const refusals = await splitOutputs(input, workers, 'this thread');
      t.diagnostic(`--workers ${workers}: ${refusals.length === 0 ? 'split and merged' : `one worker (${refusals.join('; ')})`}`);
    }
  });
}

// Real workers: the reports cross threads (structured clone) and still merge to the same bytes.
for (const input of MUST_SPLIT) {
  test(`${input} on 2 worker threads: the outputs of one`, async () => {
    await splitOutputs(input, '2', 'worker threads', ANALYZE_OUTPUTS.filter((o) => o.name === 'analyze.json' || o.name === 'analyze.txt'));
  });
}

/** `analyze --json FILE` with --workers 1 and N (the parts in this thread): both outputs, and what stderr said of the split. */
async function oneAndSplit(dir: string, file: string, workers: string): Promise<{ one: string; split: string; stderr: string }> {
  const run = async (w: string): Promise<{ out: string; stderr: string }> => {
    const out = join(dir, `${basename(file)}.w${w}.json`);
    const { code, stderr } = await runInProcess(dir, ['analyze', '--json', file, '--workers', w], out, { splitParts: 'this thread' });
    assert.equal(code, 0, stderr);
    return { out: readFileSync(out, 'utf8'), stderr };
  };
  const one = await run('1');
  const split = await run(workers);
  return { one: one.out, split: split.out, stderr: split.stderr };
}

/** Eight host pairs, each a stream one way with the sender's SR and the receiver's RR about it; `monitors` more hosts report on pair 0's stream too. */
function rtcpCapture(path: string, monitors: number): void {
  const streams: StreamSpec[] = [];
  const rtcp: Datagram[] = [];
  for (let k = 0; k < 8; k++) {
    const a = `10.70.${k}.1`;
    const b = `10.71.${k}.2`;
    const ssrc = 0xa100 + k;
    streams.push({ src: a, dst: b, sport: 16_384, dport: 26_384, packets: drop(plan({ count: 300, ssrc, start: k * 0.003 }), [50 + k, 51 + k]) });
    rtcp.push(
      { t: 3 + k * 0.01, src: a, dst: b, sport: 16_385, dport: 26_385, payload: rtcpCompound(rtcpSr(ssrc, { ntpMiddle: 0x30000 + k, rtpTimestamp: 1, packets: 150, octets: 24_000 }), rtcpSdes(ssrc, `a${k}@x`)) },
      { t: 3.2 + k * 0.01, src: b, dst: a, sport: 26_385, dport: 16_385, payload: rtcpRr(0xb100 + k, [{ ssrc, fractionLost: 2 / 256, cumulativeLost: 2, highestSeq: 1299, jitter: 16, lsr: 0x30000 + k, dlsr: 0x2000 }]) },
    );
  }
  for (let m = 0; m < monitors; m++) {
    rtcp.push({ t: 4 + m * 0.01, src: `10.72.${m}.9`, dst: '10.70.0.1', sport: 30_001, dport: 30_001, payload: rtcpRr(0xc100 + m, [{ ssrc: 0xa100, fractionLost: 0, cumulativeLost: 0, highestSeq: 1299, jitter: 8, lsr: 0, dlsr: 0 }]) });
  }
  writeMediaCapture(path, streams, [], rtcp);
}

test('RTCP beside its streams in every part merges to one worker\'s report; RTCP about a stream another part holds sends the file to one worker', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ucprobe-split-rtcp-'));
  try {
    const together = join(dir, 'together.pcap');
    rtcpCapture(together, 0);
    for (const workers of ['2', '3']) {
      const r = await oneAndSplit(dir, together, workers);
      assert.equal(r.split, r.one);
      assert.doesNotMatch(r.stderr, /read by one worker/);
    }
    const report = JSON.parse(readFileSync(join(dir, 'together.pcap.w1.json'), 'utf8')) as { files: Array<{ rtp: { streams: Array<{ rtcp: { rttMs: number } | null }> } }> };
    // Every stream has its receiver's report and the round trip from its SR (0.2 s apart, 0.125 s held: 75 ms).
    assert.deepEqual(report.files[0].rtp.streams.map((s) => s.rtcp?.rttMs), Array(8).fill(75));
    const across = join(dir, 'across.pcap');
    rtcpCapture(across, 8);
    const r = await oneAndSplit(dir, across, '2');
    assert.equal(r.split, r.one);
    assert.match(r.stderr, /read by one worker \(RTCP and RTP of one SSRC in two parts\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
