// `analyze a b c` reads the files in worker threads, one per core: its
// output must be what one file after another gives, in every format.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from './helpers.js';

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
