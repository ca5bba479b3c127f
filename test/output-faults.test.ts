// Outputs and inputs that fail under the run: a full disk (/dev/full takes no
// byte), a folder that is not there, a file the kernel will not read
// (/proc/self/mem gives EIO). Each is one line naming the output or input and
// the reason, exit 2: never 'internal error', never a stack trace.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './helpers.js';

const DEMO = join(REPO, 'captures', 'demo.pcap');
const BIN = join(REPO, 'bin', 'ucprobe.js');
const skip = existsSync('/dev/full') && existsSync('/proc/self/mem') ? false : 'needs /dev/full and /proc (Linux)';

/** Run the CLI with stdout on /dev/full (`> /dev/full`) or a pipe. */
function run(args: string[], stdoutFull = false): { status: number | null; stderr: string } {
  const full = stdoutFull ? openSync('/dev/full', 'w') : null;
  try {
    const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', stdio: ['ignore', full ?? 'pipe', 'pipe'], timeout: 60_000 });
    return { status: r.status, stderr: r.stderr };
  } finally {
    if (full !== null) closeSync(full);
  }
}

function oneLine(what: string, r: { status: number | null; stderr: string }, line: RegExp): void {
  assert.equal(r.status, 2, `${what}: exit ${r.status}, stderr ${r.stderr}`);
  assert.match(r.stderr, line, what);
  assert.equal(r.stderr.split('\n').filter((l) => l !== '').length, 1, `${what}: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /internal error|\n\s+at /, what);
}

const FULL = /^ucprobe: cannot write \/dev\/full: no space left on device\n$/;
const STDOUT_FULL = /^ucprobe: cannot write stdout: no space left on device\n$/;

test('a full disk behind -o: one line naming the file, exit 2, in every format', { skip }, () => {
  for (const format of [[], ['--json'], ['--format', 'csv', '--table', 'calls'], ['--format', 'pb']]) {
    oneLine(`analyze ${format.join(' ')} -o /dev/full`, run(['analyze', DEMO, ...format, '-o', '/dev/full']), FULL);
  }
  oneLine('dissect --json -o /dev/full', run(['dissect', '--json', DEMO, '-o', '/dev/full']), FULL);
  oneLine('report -o /dev/full', run(['report', DEMO, '-o', '/dev/full']), /^ucprobe: --output \/dev\/full: no space left on device\n$/);
});

test('a full disk behind stdout (> /dev/full): one line naming stdout, exit 2', { skip }, () => {
  for (const args of [
    ['analyze', DEMO],
    ['analyze', DEMO, '--format', 'csv'],
    ['dissect', DEMO],
    ['dissect', DEMO, '--format', 'pb'],
    ['sip', 'calls', DEMO],
    ['report', DEMO, '-o', '-'],
  ]) oneLine(`${args.join(' ')} > /dev/full`, run(args, true), STDOUT_FULL);
});

test('generate and replay --write: a full disk or a missing folder is one line naming the file, exit 2', { skip, timeout: 60_000 }, () => {
  // Port 9 (discard) on loopback: nobody listens, the datagrams go nowhere.
  const gen = ['generate', '--to', '127.0.0.1:9', '--count', '5', '--interval', '10'];
  oneLine('generate --write /dev/full', run([...gen, '--write', '/dev/full']), FULL);
  oneLine('generate --write /missing/dir/x.pcapng', run([...gen, '--write', '/missing/dir/x.pcapng']), /^ucprobe: cannot write \/missing\/dir\/x\.pcapng: no such folder\n$/);
  oneLine('replay --write /dev/full', run(['replay', DEMO, '--to', '127.0.0.1:9', '--speed', '200', '--write', '/dev/full']), FULL);
});

test('an input the kernel will not read (/proc/self/mem: EIO): one line naming it, exit 2', { skip }, () => {
  for (const cmd of ['analyze', 'dissect']) {
    oneLine(`${cmd} /proc/self/mem`, run([cmd, '/proc/self/mem']), /^ucprobe: \/proc\/self\/mem: cannot read: input\/output error\n$/);
  }
});

test('live -w into a missing folder is one line before capture starts; its file on a full disk is one line at the first flush', { skip }, async () => {
  oneLine('live -w /missing/dir/x.pcapng', run(['live', '-i', 'lo', '-w', '/missing/dir/x.pcapng', '--duration', '1s']), /^ucprobe: cannot write \/missing\/dir\/x\.pcapng: no such folder\n$/);
  const { RingCaptureWriter } = await import('../src/writer/ring-writer.js');
  const { OutputError } = await import('../src/common/io-errors.js');
  const w = new RingCaptureWriter({ path: '/dev/full' });
  w.write({ frame: 1, tsSec: 1, tsNsec: 0, caplen: 60, len: 60, linkType: 1, iface: 0 }, new Uint8Array(60));
  assert.throws(() => w.close(), (e: unknown) => e instanceof OutputError && /^cannot write \/dev\/full: no space left on device$/.test(e.message));
});
