// Workers started before analyze's modules load (src/cli/workers-ahead.ts):
// how many a command line asks for, and that one never taken neither holds
// the process nor changes what it prints.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { workersNeeded } from '../src/cli/workers-ahead.js';
import { REPO } from './helpers.js';

const BIN = join(REPO, 'bin', 'ucprobe.js');
const dir = mkdtempSync(join(tmpdir(), 'ucprobe-ahead-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const demo = join(REPO, 'captures', 'demo.pcap');
const copy = join(dir, 'copy.pcap');
copyFileSync(demo, copy);
const policy = join(dir, 'policy.yaml');
writeFileSync(policy, 'rules: []\n');
const cores = availableParallelism();
const argv = (...args: string[]): string[] => ['node', 'ucprobe', ...args];

test('one worker per capture beyond the main thread, up to the cores; none for other commands', () => {
  assert.equal(workersNeeded(argv('analyze', demo)), 0);
  assert.equal(workersNeeded(argv('analyze', demo, copy)), Math.min(2, cores) - 1);
  assert.equal(workersNeeded(argv('analyze', demo, copy, demo)), Math.min(3, cores) - 1);
  assert.equal(workersNeeded(argv('dissect', demo, copy)), 0);
  // Read in this thread: --correlate always, --rtp-series when it would split one file.
  assert.equal(workersNeeded(argv('analyze', '--correlate', demo, copy)), 0);
  assert.equal(workersNeeded(argv('analyze', '--rtp-series', '--workers', '2', demo)), 0);
  assert.equal(workersNeeded(argv('analyze', '--rtp-series', demo, copy)), Math.min(2, cores) - 1);
});

test('option values, missing files and stdin are not captures', () => {
  assert.equal(workersNeeded(argv('analyze', '--policy', policy, demo, '-o', join(dir, 'out.json'))), 0);
  assert.equal(workersNeeded(argv('analyze', demo, join(dir, 'missing.pcap'), '-')), 0);
  assert.equal(workersNeeded(argv('analyze', dir, demo)), 0);
});

test('--workers N on one capture: N workers (its parts), up to the cores', () => {
  assert.equal(workersNeeded(argv('analyze', '--workers', '2', demo)), Math.min(2, cores));
  assert.equal(workersNeeded(argv('analyze', `--workers=${cores + 3}`, demo)), cores);
  assert.equal(workersNeeded(argv('analyze', '--workers', '1', demo)), 0);
  assert.equal(workersNeeded(argv('analyze', '--workers', 'many', demo)), 0);
});

test('a worker started ahead and never taken (-o names an old capture, which the report replaces): the run ends as soon as its output is out', () => {
  const old = join(dir, 'old.pcap');
  copyFileSync(demo, old);
  assert.equal(workersNeeded(argv('analyze', demo, '-o', old)), Math.min(2, cores) - 1);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [BIN, 'analyze', demo, '-o', old], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.equal(readFileSync(old, 'utf8'), spawnSync(process.execPath, [BIN, 'analyze', demo], { encoding: 'utf8' }).stdout);
  // Generous: only a process left waiting on its idle worker would take this long.
  assert.ok(Date.now() - t0 < 30_000);
});
