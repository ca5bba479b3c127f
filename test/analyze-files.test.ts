// `analyze a b c` reads the files one per core (this thread and worker
// threads): its output must be what one file after another gives, in every
// format, whichever thread read which file.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { corpusCaptures, needsCorpus, REPO, sleep } from './helpers.js';

const BIN = join(REPO, 'bin', 'ucprobe.js');
const dir = mkdtempSync(join(tmpdir(), 'ucprobe-files-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const demo = join(REPO, 'captures', 'demo.pcap');
const copy = join(dir, 'copy.pcap');
copyFileSync(demo, copy);
const gz = join(dir, 'demo.pcap.gz');
writeFileSync(gz, gzipSync(readFileSync(demo)));
const files = [demo, gz, copy];

function run(args: string[]): { status: number | null; stdout: string } {
  const r = spawnSync(process.execPath, [BIN, 'analyze', ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return { status: r.status, stdout: r.stdout };
}

test('analyze of three files on workers prints what one file after another prints (text)', () => {
  const together = run(files);
  assert.equal(together.status, 0);
  assert.equal(together.stdout, files.map((f) => run([f]).stdout).join(''));
});

test('analyze of three files on workers: the JSON files[] of one file after another', () => {
  const together = JSON.parse(run([...files, '--json']).stdout) as { files: unknown[] };
  const one = files.map((f) => (JSON.parse(run([f, '--json']).stdout) as { files: unknown[] }).files[0]);
  assert.deepEqual(together.files, one);
});

test('a file that is no capture among good ones: the one error line of that file alone, exit 2, as one after another', () => {
  const bad = join(dir, 'bad.pcap');
  writeFileSync(bad, 'not a capture at all');
  const r = spawnSync(process.execPath, [BIN, 'analyze', demo, bad, copy], { encoding: 'utf8' });
  const alone = spawnSync(process.execPath, [BIN, 'analyze', bad], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, alone.stderr);
  assert.match(r.stderr, /^ucprobe: .*bad\.pcap: not a pcap or pcapng file/);
});

/** `analyze` of these files in one call gives each file's JSON as it gives alone, and the worst file's exit. */
function sameAsAlone(list: string[]): void {
  const together = run([...list, '--json', '-q']);
  const alone = list.map((f) => run([f, '--json', '-q']));
  assert.equal(together.status, Math.max(...alone.map((r) => r.status ?? 0)));
  assert.deepEqual((JSON.parse(together.stdout) as { files: unknown[] }).files, alone.map((r) => (JSON.parse(r.stdout) as { files: unknown[] }).files[0]));
}

test('a file cut short among them: each file\'s JSON as it gives alone, the cut file\'s exit', () => {
  const cut = join(dir, 'cut.pcap');
  const bytes = readFileSync(demo);
  writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2) + 7));
  sameAsAlone([demo, cut, copy]);
});

test('corpus captures of other link types among them: each file\'s JSON as it gives alone', { skip: needsCorpus, timeout: 120_000 }, () => {
  const corpus = corpusCaptures();
  sameAsAlone([demo, corpus[0], corpus[Math.floor(corpus.length / 2)], corpus[corpus.length - 1], copy]);
});

/** `analyze` on named pipes that each deliver the demo; then the writers close them, or, with `interrupt`, keep them open and Ctrl-C comes. */
async function onPipes(names: string[], args: string[], interrupt: boolean): Promise<{ code: number | null; stdout: string; stderr: string; pipes: string[] }> {
  const pipes = names.map((n) => join(dir, n));
  for (const p of pipes) assert.equal(spawnSync('mkfifo', [p]).status, 0);
  const child = spawn(process.execPath, [BIN, 'analyze', ...args, ...pipes], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b));
  child.stderr.on('data', (b: Buffer) => (stderr += b));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  const writers = pipes.map((p) => createWriteStream(p));
  await Promise.all(writers.map((w) => new Promise<void>((resolve) => w.write(readFileSync(demo), () => resolve()))));
  if (interrupt) {
    await sleep(3000);
    child.kill('SIGINT');
  } else for (const w of writers) w.end();
  const code = await exited;
  for (const w of writers) w.destroy();
  return { code, stdout, stderr, pipes };
}

test('Ctrl-C while files are read side by side, from pipes that stay open: every file cut short is named, with its packets', { timeout: 60_000 }, async () => {
  // A read waiting on a pipe is ended by Ctrl-C, not only by its writer.
  const r = await onPipes(['a.pcap', 'b.pcap'], ['--json'], true);
  assert.equal(r.code, 130, r.stderr);
  const doc = JSON.parse(r.stdout) as { partial: boolean; files: Array<{ capture: { packets: number } }> };
  assert.equal(doc.partial, true);
  assert.deepEqual(doc.files.map((f) => f.capture.packets), [4170, 4170]);
  assert.equal(r.stderr, `ucprobe: interrupted (Ctrl-C) after 4170 packets of ${r.pipes[0]}, 4170 packets of ${r.pipes[1]}: the report covers what was read\n`);
});

test('--workers on a pipe: read whole by one worker (parts opening one pipe would each get a share of its bytes)', { timeout: 60_000 }, async () => {
  const r = await onPipes(['split.pcap'], ['--json', '-q', '--workers', '2'], false);
  assert.equal(r.code, 0, r.stderr);
  const alone = JSON.parse(run([demo, '--json', '-q']).stdout) as { files: Array<Record<string, unknown>> };
  assert.deepEqual({ ...(JSON.parse(r.stdout) as { files: Array<Record<string, unknown>> }).files[0], file: demo }, alone.files[0]);
});
