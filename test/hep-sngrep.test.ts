// HEP against a real peer, sngrep 1.6 (Debian's package):
// - sngrep as the collector (`sngrep -N -L udp:127.0.0.1:PORT -O got.pcap`)
//   receives every packet `ucprobe dissect --hep` sends, SIP byte for byte;
// - sngrep as the capture agent (`sngrep -I file.pcap -N -H udp:...`, HEPv3
//   and, with eep.send.version 2, HEPv2) feeds `ucprobe live --hep-listen`,
//   which finds the same SIP messages as reading the file directly.
// sngrep -N draws nothing and needs no terminal; TERM is set anyway in case a
// build initialises ncurses. Skipped only when sngrep is missing and CI is
// not set: CI installs it (.ci/run).

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeHep, HEP_PROTO_TYPE } from '../dissectors/hep.js';
import { sipSummary } from '../dissectors/sip.js';
import type { PacketRecord } from '../dissectors/types.js';
import { HepSink } from '../src/hep/sink.js';
import { Pipeline } from '../src/pipeline/pipeline.js';
import { readCapture } from '../src/sources/capture-reader.js';
import { CORPUS, REPO, decodeAll, hasCorpus, sleep, waitFor } from './helpers.js';

const hasSngrep = spawnSync('sngrep', ['-V'], { stdio: 'ignore' }).status === 0;
const skip = !hasSngrep && !process.env.CI ? 'sngrep is not installed (apt-get install sngrep; CI installs it)' : false;

const tmp = mkdtempSync(join(tmpdir(), 'ucprobe-sngrep-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const CLI = join(REPO, 'bin', 'ucprobe.js');
const DEMO = join(REPO, 'captures', 'demo.pcap');
const corpus = (f: string): string => join(CORPUS, f);
const SNGREP_ENV = { ...process.env, TERM: process.env.TERM || 'dumb' };

interface Exit {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): { child: ChildProcess; done: Promise<Exit>; stderrSoFar(): string } {
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Exit>((r) => child.once('exit', (status, signal) => r({ status, signal, stdout, stderr })));
  return { child, done, stderrSoFar: () => stderr };
}

/** Stop a child we started: SIGTERM, then SIGKILL if it does not go within 5 s. */
async function stop(p: { child: ChildProcess; done: Promise<Exit> }): Promise<Exit> {
  p.child.kill('SIGTERM');
  const t = setTimeout(() => p.child.kill('SIGKILL'), 5000);
  const e = await p.done;
  clearTimeout(t);
  return e;
}

async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** True once something (sngrep) holds the UDP port: our own bind then fails. */
async function udpPortTaken(port: number): Promise<boolean> {
  const s = dgram.createSocket('udp4');
  return new Promise((resolve) => {
    s.once('error', () => resolve(true));
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(false)));
  });
}

/** What `dissect --hep` sends for a capture, in order: the sink in-process, the HEP payloads. */
async function expectedPayloads(file: string): Promise<{ all: string[]; sip: number }> {
  const out: string[] = [];
  let sip = 0;
  const sink = new HepSink({
    send: (p) => {
      const h = decodeHep(p, 0, p.length);
      if (h.protoType === HEP_PROTO_TYPE.SIP) sip++;
      out.push(Buffer.from(h.payload!).toString('hex'));
    },
    dropped: () => assert.fail('nothing is dropped in-process'),
  }, { captureId: 2002 });
  const facts = await readCapture(file, new Pipeline([sink.add]).frame);
  sink.finish(facts.lastTs);
  return { all: out, sip };
}

/** The UDP payloads of a capture in frame order, read with the project's own reader. */
async function udpPayloads(file: string): Promise<string[]> {
  const out: string[] = [];
  await readCapture(file, new Pipeline([(r) => {
    if (r.transport === 'udp' && r.payload) out.push(Buffer.from(r.payload).toString('hex'));
  }]).frame);
  return out;
}

const COLLECTOR_FILES = [DEMO, ...(hasCorpus ? ['sngrep__ipv6frag.pcap', 'sngrep__ipip.pcap', 'zeek__sip__wireshark.pcap'].map(corpus) : [])];

test('sngrep as the collector receives every packet dissect --hep sends, SIP byte for byte', { skip, timeout: 120_000 }, async () => {
  assert.ok(hasSngrep, 'CI is set but sngrep is not installed: add it to the apt-get line in .ci/run');
  for (const file of COLLECTOR_FILES) {
    const port = await freeUdpPort();
    const got = join(tmp, `got-${port}.pcap`);
    const sngrep = run('sngrep', ['-N', '-q', '-L', `udp:127.0.0.1:${port}`, '-O', got], SNGREP_ENV);
    assert.ok(await waitFor(() => udpPortTaken(port), 10_000), `sngrep did not bind udp:127.0.0.1:${port}: ${sngrep.stderrSoFar()}`);
    const d = await run(process.execPath, [CLI, 'dissect', file, '--hep', `udp://127.0.0.1:${port}`]).done;
    assert.equal(d.status, 0, d.stderr);
    const want = await expectedPayloads(file);
    assert.match(d.stderr, new RegExp(`^HEP: ${want.all.length} packets \\(${want.sip} SIP, \\d+ events\\) sent to udp://127\\.0\\.0\\.1:${port}, 0 dropped$`, 'm'));
    // sngrep writes its pcap through stdio buffers: give it time to read, then stop it.
    await sleep(500);
    const e = await stop(sngrep);
    assert.ok(e.signal === 'SIGTERM' || e.status === 0, `sngrep ended with ${e.status ?? e.signal}: ${e.stderr}`);
    const received = await udpPayloads(got);
    assert.equal(received.length, want.all.length, `${file}: packets sngrep stored`);
    assert.deepEqual(received, want.all, `${file}: payloads byte for byte, in order`);
    const direct = await decodeAll(file);
    assert.equal(want.sip, direct.records.reduce((n, r) => n + (r.sip?.length ?? 0), 0), `${file}: every SIP message of the capture`);
  }
});

type Key = string;
const messageKeys = (rs: PacketRecord[], transport: 'udp' | 'tcp'): Key[] =>
  rs.filter((r) => r.transport === transport).flatMap((r) => (r.sip ?? []).map((m) => `${r.sport}>${r.dport} ${m.callId} ${m.cseq?.seq} ${sipSummary(m)} ${m.length}`)).sort();

const SENDER_FILES: Array<[string, boolean]> = [
  [DEMO, true],
  ...(hasCorpus ? ([['zeek__sip__wireshark.pcap', false], ['pcap2sipp__example.pcap', false]] as Array<[string, boolean]>).map(([f, t]): [string, boolean] => [corpus(f), t]) : []),
];

for (const version of [3, 2]) {
  test(`sngrep -I file -H (HEPv${version}) feeds live --hep-listen: the same SIP messages as reading the file`, { skip, timeout: 120_000 }, async () => {
    assert.ok(hasSngrep, 'CI is set but sngrep is not installed: add it to the apt-get line in .ci/run');
    const rc = join(tmp, `sngrep-v${version}.rc`);
    writeFileSync(rc, `set eep.send.version ${version}\n`);
    for (const [file, hasTcp] of SENDER_FILES) {
      const out = join(tmp, `listen-v${version}-${SENDER_FILES.findIndex(([f]) => f === file)}.pcapng`);
      const live = run(process.execPath, [CLI, 'live', '--hep-listen', 'udp:127.0.0.1:0', '--json', '-w', out]);
      assert.ok(await waitFor(() => /listening for HEP on udp:127\.0\.0\.1:\d+/.test(live.stderrSoFar()), 10_000), live.stderrSoFar());
      const port = Number(/listening for HEP on udp:127\.0\.0\.1:(\d+)/.exec(live.stderrSoFar())![1]);
      const s = run('sngrep', ['-f', rc, '-I', file, '-N', '-q', '-H', `udp:127.0.0.1:${port}`], SNGREP_ENV);
      const t = setTimeout(() => s.child.kill('SIGKILL'), 30_000);
      const se = await s.done;
      clearTimeout(t);
      assert.equal(se.status, 0, `sngrep: ${se.stderr}`);
      await sleep(500);
      const le = await stop(live);
      assert.equal(le.status, 0, le.stderr);
      // sngrep sends no IP TOS chunk: the DSCP of what it sends is unknown, said once, and never audited.
      const warnings = le.stderr.split('\n').filter((l) => /warning/.test(l));
      assert.equal(warnings.length, 1, le.stderr);
      assert.match(warnings[0], /came without the IP TOS chunk \(sngrep sends none\): their DSCP is not known and was not audited/);
      assert.doesNotMatch(le.stdout, /dscp-violation/, 'no DSCP verdict on packets whose marking is unknown');
      const direct = (await decodeAll(file)).records;
      const heard = (await decodeAll(out)).records;
      assert.ok(heard.length > 0, `${file}: nothing arrived`);
      assert.deepEqual(messageKeys(heard, 'udp'), messageKeys(direct, 'udp'), `${file}: SIP over UDP`);
      const tcpDirect = messageKeys(direct, 'tcp');
      const tcpHeard = messageKeys(heard, 'tcp');
      if (!hasTcp) {
        assert.deepEqual(tcpHeard, tcpDirect);
        continue;
      }
      // sngrep sends a TCP message once the next segment of its direction arrives; the
      // last message of a direction that never sees another one (demo's final 200 OK to
      // BYE) is never sent. Everything it did send must be in the file, and nothing else.
      for (const k of tcpHeard) assert.ok(tcpDirect.includes(k), `${file}: TCP message ${k} is not in the file`);
      assert.ok(tcpDirect.length - tcpHeard.length <= 1, `${file}: ${tcpDirect.length} TCP messages in the file, ${tcpHeard.length} arrived`);
    }
  });
}
