// `analyze A B C`: the files are spread over this thread and worker threads
// (src/cli/analyze-files.ts); the output must be what each file gives alone,
// in command-line order, whichever lane read it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { corpusCaptures, hasCorpus, REPO, runCli } from './helpers.js';

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
