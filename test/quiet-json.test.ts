// -q as tshark's (dissect prints no packet: -w only writes, else one count;
// analyze the report only, its warnings not repeated on stderr; live the
// summary only) and dissect -T json, one JSON array as tshark -T json prints.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, hasTshark, runCli, tshark } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'ucprobe-quiet-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const DEMO = join(REPO, 'captures', 'demo.pcap');

test('dissect -q: one line counting what -Y selected, as many as tshark -Y prints', () => {
  const r = runCli(['dissect', DEMO, '-q', '-Y', 'sip.method == INVITE']);
  assert.equal(r.status, 0, r.stderr);
  const theirs = hasTshark ? tshark(['-r', DEMO, '-Y', 'sip.Method == "INVITE"']).length : 12;
  assert.equal(r.stdout, `${DEMO}: ${theirs} packets selected of 4170 read\n`);
  // -c stops the read: what was read is said.
  assert.match(runCli(['dissect', DEMO, '-q', '-c', '5']).stdout, /: 5 packets selected of 5 read\n$/);
});

test('dissect -q -w: nothing printed, the packets written (tcpdump counts them)', { skip: !hasTshark && 'tshark not installed' }, () => {
  const out = join(dir, 'sip.pcapng');
  const r = runCli(['dissect', DEMO, '-q', '-w', out, 'udp port 5060']);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual([r.stdout, r.stderr], ['', '']);
  assert.equal(tshark(['-r', out]).length, tshark(['-r', DEMO, '-Y', 'udp.port == 5060']).length);
});

test('dissect -q with an output format that prints packets is one line', () => {
  for (const [args, what] of [[['-T', 'json'], '-T json'], [['-V'], '-V'], [['--json'], '--json'], [['--format', 'pb'], '--format pb']] as const) {
    const r = runCli(['dissect', DEMO, '-q', ...args]);
    assert.equal(r.status, 2);
    assert.equal(r.stderr, `ucprobe: -q prints no packet: ${what} has nothing to print (drop one)\n`);
  }
});

test('dissect -T json: one JSON array of the --json records, as long as tshark -T json\'s', { skip: !hasTshark && 'tshark not installed' }, () => {
  const arr = runCli(['dissect', DEMO, '-T', 'json', '-Y', 'sip']);
  assert.equal(arr.status, 0, arr.stderr);
  const records = JSON.parse(arr.stdout) as Array<{ frame: number }>;
  const lines = runCli(['dissect', DEMO, '--json', '-Y', 'sip']).stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as unknown);
  assert.deepEqual(records, lines);
  const theirs = JSON.parse(tshark(['-r', DEMO, '-Y', 'sip', '-T', 'json']).join('\n')) as Array<{ _source: { layers: { frame: Record<string, string> } } }>;
  assert.deepEqual(records.map((r) => r.frame), theirs.map((p) => Number(p._source.layers.frame['frame.number'])));
  assert.equal(runCli(['dissect', DEMO, '-T', 'json', '-c', '0']).stdout, '[]\n');
  assert.deepEqual(JSON.parse(runCli(['dissect', DEMO, '-T', 'json', '-c', '1']).stdout).length, 1);
});

test('analyze -q: the report alone; its warnings stay in it, not repeated on stderr', () => {
  // A capture cut inside its last packet: a warning.
  const cut = join(dir, 'cut.pcap');
  const whole = readFileSync(DEMO);
  writeFileSync(cut, whole.subarray(0, whole.length - 10));
  const loud = runCli(['analyze', cut]);
  assert.match(loud.stderr, /^ucprobe: warning: /);
  const quiet = runCli(['analyze', cut, '-q']);
  assert.equal(quiet.stderr, '');
  assert.equal(quiet.stdout, loud.stdout);
  assert.match(quiet.stdout, /\nwarning: /);
});

test('live views without the UI, -q: the summary alone, the same as after the event lines', () => {
  const loud = runCli(['tui', DEMO, '--no-ui']);
  const quiet = runCli(['tui', DEMO, '--no-ui', '-q']);
  assert.equal(quiet.status, 0, quiet.stderr);
  assert.match(loud.stdout, /FAILOVER/);
  assert.doesNotMatch(quiet.stdout, /FAILOVER|LOSS/);
  const summary = loud.stdout.slice(loud.stdout.lastIndexOf('\nfile '));
  assert.equal(quiet.stdout, summary);
  assert.match(quiet.stdout, /^\nfile .*demo\.pcap: 4170 packets in 60\.0 s;/);
  const json = runCli(['tui', DEMO, '--json', '-q']).stdout.trimEnd().split('\n');
  assert.equal(json.length, 1);
  assert.equal((JSON.parse(json[0]) as { type: string }).type, 'summary');
});
