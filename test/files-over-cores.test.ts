// `analyze A B C`: the files are spread over this thread and worker threads
// (src/cli/analyze-files.ts); the output must be what each file gives alone,
// in command-line order, whichever lane read it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { corpusCaptures, hasCorpus, REPO, runCli, sleep } from './helpers.js';

const DEMO = join(REPO, 'captures', 'demo.pcap');
const tmp = mkdtempSync(join(tmpdir(), 'ucprobe-files-'));

/** The demo cut mid-packet: a report of what came before, a warning and exit 1. */
function cutDemo(): string {
  const demo = readFileSync(DEMO);
  const path = join(tmp, 'cut.pcap');
  writeFileSync(path, demo.subarray(0, Math.floor(demo.length / 2) + 7));
  return path;
}

/** A few corpus captures of different link types, when the corpus is there. */
function someCorpus(): string[] {
  if (!hasCorpus) return [];
  const all = corpusCaptures();
  return [all[0], all[Math.floor(all.length / 2)], all[all.length - 1]];
}

test('several files: each file\'s JSON report as it gives alone, in command-line order', { timeout: 120_000 }, () => {
  const files = [DEMO, cutDemo(), ...someCorpus(), DEMO];
  if (!hasCorpus) console.log('# corpus not found (../shared/corpus): the demo and a cut copy only');
  const together = runCli(['analyze', '--json', '-q', ...files]);
  const alone = files.map((f) => runCli(['analyze', '--json', '-q', f]));
  const worst = Math.max(...alone.map((r) => r.status));
  assert.equal(together.status, worst, together.stderr);
  const doc = JSON.parse(together.stdout) as { files: unknown[] };
  assert.equal(doc.files.length, files.length);
  for (const [i, r] of alone.entries()) assert.deepEqual(doc.files[i], (JSON.parse(r.stdout) as { files: unknown[] }).files[0], files[i]);
});

test('several files: the text report is the files\' texts one after another', { timeout: 60_000 }, () => {
  const files = [DEMO, cutDemo(), DEMO];
  const together = runCli(['analyze', '-q', ...files]);
  const alone = files.map((f) => runCli(['analyze', '-q', f]).stdout);
  assert.equal(together.stdout, alone.join(''));
});

test('several files, one unreadable: one line naming it, exit 2, as one after another', () => {
  const r = runCli(['analyze', DEMO, join(tmp, 'missing.pcap'), DEMO]);
  assert.equal(r.status, 2);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^ucprobe: .*missing\.pcap/);
});

test('Ctrl-C while several files are read side by side: the note names every file cut short, with its packets', { skip: process.platform === 'win32' && 'named pipes', timeout: 60_000 }, async () => {
  // Two pipes that deliver the demo and then stay open: both reads are still going when Ctrl-C comes.
  const pipes = ['a.pcap', 'b.pcap'].map((n) => join(tmp, n));
  for (const p of pipes) assert.equal(spawnSync('mkfifo', [p]).status, 0);
  const child = spawn(process.execPath, [join(REPO, 'bin', 'ucprobe.js'), 'analyze', '--json', ...pipes], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b));
  child.stderr.on('data', (b: Buffer) => (stderr += b));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  const writers = pipes.map((p) => createWriteStream(p));
  await Promise.all(writers.map((w) => new Promise<void>((resolve) => w.write(readFileSync(DEMO), () => resolve()))));
  await sleep(3000);
  child.kill('SIGINT');
  assert.equal(await exited, 130, stderr);
  for (const w of writers) w.destroy();
  const doc = JSON.parse(stdout) as { partial: boolean; files: Array<{ file: string; capture: { packets: number } }> };
  assert.equal(doc.partial, true);
  assert.deepEqual(doc.files.map((f) => f.capture.packets), [4170, 4170]);
  assert.equal(stderr, `ucprobe: interrupted (Ctrl-C) after 4170 packets of ${pipes[0]}, 4170 packets of ${pipes[1]}: the report covers what was read\n`);
});

test('--workers on a pipe: read whole by one worker (parts opening one pipe would each get a share of its bytes)', { skip: process.platform === 'win32' && 'named pipes', timeout: 60_000 }, async () => {
  const pipe = join(tmp, 'split.pcap');
  assert.equal(spawnSync('mkfifo', [pipe]).status, 0);
  const child = spawn(process.execPath, [join(REPO, 'bin', 'ucprobe.js'), 'analyze', '--json', '-q', '--workers', '2', pipe], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  const w = createWriteStream(pipe);
  w.end(readFileSync(DEMO));
  assert.equal(await exited, 0);
  const alone = JSON.parse(runCli(['analyze', '--json', '-q', DEMO]).stdout) as { files: Array<Record<string, unknown>> };
  const piped = JSON.parse(stdout) as { files: Array<Record<string, unknown>> };
  assert.deepEqual({ ...piped.files[0], file: DEMO }, alone.files[0]);
});
