// Every command that reads a file, on every bundled and corpus capture, as a
// user would run them: each ends with its output or one error line about the
// file, never an internal error, a stack trace or a NaN in what it prints.
// (A pcapng block in the corpus is stamped 2^64 µs after the epoch, beyond
// what a Date can hold: four of these commands once died on it.)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { bundledCaptures, corpusCaptures, hasCorpus, needsCorpus, REPO } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'ucprobe-corpus-cli-'));
const captures = [...bundledCaptures(), ...corpusCaptures()];

/** The file-reading commands, each with the output it is checked on. */
const COMMANDS: Array<(file: string) => string[]> = [
  (f) => ['analyze', f],
  (f) => ['analyze', '--format', 'csv', '--table', 'flows', f],
  (f) => ['dissect', '-V', f],
  (f) => ['sip', 'calls', f],
  (f) => ['report', '-o', join(tmp, `${basename(f)}.html`), f],
  (f) => ['tui', '--no-ui', f],
];

interface Run { args: string[]; code: number; stdout: string; stderr: string }

function run(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(REPO, 'bin', 'ucprobe.js'), ...args], { maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ args, code, stdout, stderr });
    });
  });
}

/** Run every job, `width` at a time (two cores here). */
async function pool<T>(jobs: Array<() => Promise<T>>, width: number): Promise<T[]> {
  const out: T[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < jobs.length) {
      const i = next++;
      out[i] = await jobs[i]();
    }
  }));
  return out;
}

test('every file command on every capture: output or one error line naming the file, exit 0 or 2', async () => {
  const runs = await pool(captures.flatMap((f) => COMMANDS.map((c) => () => run(c(f)))), 2);
  const bad: string[] = [];
  for (const r of runs) {
    const file = r.args[r.args.length - 1];
    const what = `${r.args.slice(0, -1).join(' ')} ${basename(file)}`;
    if (r.code !== 0 && r.code !== 2) bad.push(`${what}: exit ${r.code}: ${r.stderr.trim()}`);
    if (/internal error|\n\s+at /.test(r.stderr)) bad.push(`${what}: ${r.stderr.trim()}`);
    if (r.code === 2 && !(r.stderr.trim().split('\n').length === 1 && r.stderr.includes(file))) bad.push(`${what}: not one line naming the file: ${r.stderr.trim()}`);
    if (/\bNaN\b|Invalid Date/.test(r.stdout)) bad.push(`${what}: prints NaN`);
  }
  assert.deepEqual(bad, []);
  // The files that cannot be read are the two the reader tests cover, for every command.
  const failing = new Set(runs.filter((r) => r.code === 2).map((r) => basename(r.args[r.args.length - 1])));
  assert.deepEqual([...failing].sort(), hasCorpus ? ['gopacket__le__test901.pcapng', 'ndpi__fuzz-2021-10-13.pcap'] : []);
});

test('a timestamp 2^64 µs after the epoch: printed as epoch seconds, the other frames as dates', { skip: needsCorpus }, async () => {
  const file = captures.find((f) => basename(f) === 'pcapplusplus__pcapng-example.pcapng');
  assert.ok(file);
  const a = await run(['analyze', file]);
  assert.equal(a.code, 0, a.stderr);
  // tshark: frame 1 at 1422527998.578402281, frame 159 at 18446744073204.277451000.
  assert.match(a.stdout, /span {7}2015-01-29T10:39:58\.578402Z \.\. 18446744073204\.27\d+ \(epoch s\)/);
  const d = await run(['dissect', '-c', '159', file]);
  assert.match(d.stdout.trim().split('\n')[158], /^07:53:24\.277451 130\.217\.250\.13:60478 > 130\.217\.250\.129:6000 TCP/);
});
