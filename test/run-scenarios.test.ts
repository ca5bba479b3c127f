// `ucprobe run`: scenario files checked line by line, the shipped examples
// passing on loopback against each kind of observer, a wrong expectation
// failing with exit 1 and a JUnit failure, and the lab commands' bad input
// (unknown host, port in use, refused TOS) as one line each.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, runCli } from './helpers.js';
import { loadScenario, loadStreamFile } from '../src/cli/scenario-file.js';
import { runScenario } from '../src/run/run.js';
import { planPhases } from '../src/run/expectations.js';
import { setSocketDscp } from '../src/generator/dscp-socket.js';
import { bindUdp } from '../src/generator/bind-udp.js';

const tmp = mkdtempSync(join(tmpdir(), 'ucprobe-run-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const example = (name: string): string => join(REPO, 'examples', 'scenarios', name);
const scenarioFile = (name: string, text: string): string => {
  const f = join(tmp, name);
  writeFileSync(f, text);
  return f;
};

describe('scenario files', () => {
  test('phases lay out on the stream clock and the plan knows the heartbeat before each', () => {
    const sc = loadScenario(example('four-vs-five.yaml'));
    const s = sc.streams[0];
    assert.equal(s.count, 69); // 2 s + 4 + 2 s + 5 + 2 s at 100 ms
    assert.deepEqual(s.phases.map((p) => [p.label, p.startMs, p.endMs]), [
      ['steady 2s', 0, 2000], ['drop 4', 2000, 2400], ['steady 2s', 2400, 4400], ['drop 5', 4400, 4900], ['steady 2s', 4900, 6900],
    ]);
    assert.deepEqual(s.phases.map((p) => p.expect.map((e) => e.kind)), [[], ['no-failover'], [], ['failover'], []]);
    const { phases, finalSeq } = planPhases(s);
    assert.equal(phases[1].lastSentBefore, 1019);
    assert.equal(phases[3].lastSentBefore, 1043);
    assert.equal(phases[3].sentInPhase.size, 0);
    assert.equal(finalSeq, 1068);
    assert.equal(sc.monitor.tcpReset, true);
    assert.deepEqual(sc.expect.map((e) => [e.kind, e.count]), [['failovers', 1], ['resets', 1]]);
  });

  test('a stream file for generate --streams: repeat, defaults and the flags\' value syntax', () => {
    const f = scenarioFile('streams.yaml', 'streams:\n  - to: 127.0.0.1:39500\n    from: 127.0.0.1:40000\n    duration: 2s\n    bursts: [5@1s]\n    repeat: 3\n');
    const list = loadStreamFile(f);
    assert.deepEqual(list.map((s) => [s.name, s.from?.port, s.count, s.impairments.seed]), [['stream-1#1', 40000, 20, 1], ['stream-1#2', 40001, 20, 2], ['stream-1#3', 40002, 20, 3]]);
    assert.deepEqual(list[0].impairments.bursts, [{ count: 5, atMs: 1000 }]);
  });

  test('every mistake is one line naming file:line:col and the key, exit 2', () => {
    const cases: Array<[string, RegExp]> = [
      ['streams:\n  - phases:\n      - steady: 2s\n    dscp: EFF\n', /bad\.yaml:4:11: streams\[0\]\.dscp: expected a DSCP name/],
      ['streams:\n  - phases:\n      - stedy: 2s\n', /bad\.yaml:3:9: streams\[0\]\.phases\[0\]\.stedy: unknown key/],
      ['streams:\n  - phases:\n      - drop: five\n        expect: failover\n', /bad\.yaml:3:15: streams\[0\]\.phases\[0\]\.drop: expected a whole number/],
      ['streams:\n  - phases:\n      - loss: 5%\n        expect: no-failover\n', /bad\.yaml:3:9: streams\[0\]\.phases\[0\]: a loss phase needs 'for'/],
      ['streams:\n  - phases:\n      - steady: 2s\n', /bad\.yaml:1:1: expect: the scenario expects nothing/],
      ['streams: [ { phases: [ steady: 2s ] }\n', /bad\.yaml:\d+:\d+: not valid YAML/],
      ['heartbeat: { threshold: 0 }\nstreams: []\n', /bad\.yaml:1:25: heartbeat\.threshold: expected a whole number ≥ 1/],
      ['streams:\n  - phases:\n      - drop: 5\n        expect: sometimes\n', /bad\.yaml:4:17: streams\[0\]\.phases\[0\]\.expect: expected failover, no-failover/],
      ['streams:\n  - to: nowhere\n    phases:\n      - drop: 5\n        expect: failover\n', /bad\.yaml:2:9: streams\[0\]\.to: expected host:port/],
      ['speed: 2\n', /bad\.yaml:1:1: speed: unknown key/],
    ];
    for (const [text, want] of cases) {
      const r = runCli(['run', scenarioFile('bad.yaml', text)]);
      assert.equal(r.status, 2, `${text}\n${r.stderr}`);
      assert.match(r.stderr, want);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    const missing = runCli(['run', join(tmp, 'nope.yaml')]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /nope\.yaml: no such file/);
  });
});

describe('the shipped scenarios pass on loopback', { concurrency: true }, () => {
  for (const name of ['four-vs-five.yaml', 'sender-restart.yaml', 'asymmetric-fault.yaml', 'random-loss-no-failover.yaml']) {
    test(name, { timeout: 60_000 }, async () => {
      const r = await runScenario(loadScenario(example(name)));
      assert.ok(r.passed, r.results.filter((x) => !x.held).map((x) => `${x.name}: ${x.detail}`).join('\n'));
      for (const x of r.results.filter((y) => y.errorMs !== undefined)) assert.ok(Math.abs(x.errorMs!) <= 20, `${x.name}: ${x.errorMs} ms`);
    });
  }
});

test('a wrong expectation fails: exit 1, FAIL row, JUnit failure, JSON report', { timeout: 30_000 }, () => {
  const f = scenarioFile('wrong.yaml', 'name: expects-too-much\nstreams:\n  - phases:\n      - steady: 1s\n      - drop: 4\n        expect: failover\n      - steady: 1s\n');
  const junit = join(tmp, 'run.xml');
  const report = join(tmp, 'run.json');
  const r = runCli(['run', f, '--junit', junit, '--report', report]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, /FAIL +stream-1 phase 2 \(drop 4\): failover within 20 ms +no failover \(expected after seq 9\)/);
  assert.match(r.stdout, /FAILED: 0 of 1 expectations held/);
  const xml = readFileSync(junit, 'utf8');
  assert.match(xml, /<testsuite name="expects-too-much" tests="1" failures="1"/);
  assert.match(xml, /<failure message="no failover \(expected after seq 9\)">.*wrong\.yaml:5:9: streams\[0\]\.phases\[1\]/);
  const json = JSON.parse(readFileSync(report, 'utf8'));
  assert.equal(json.passed, false);
  assert.equal(json.expectations[0].held, false);
  assert.equal(json.generator.streams[0].withheld.burst, 4);
});

test('against a remote monitor: its JSON event feed and its TCP reset', { timeout: 30_000 }, async () => {
  const mon = spawn(process.execPath, [join(REPO, 'bin', 'ucprobe.js'), 'monitor', '--port', '0', '--bind', '127.0.0.1', '--events-listen', '0', '--tcp-listen', '0', '--duration', '20s'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const feedPort = await new Promise<number>((resolve, reject) => {
    let out = '';
    mon.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /JSON lines on TCP 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    mon.once('exit', () => reject(new Error(`monitor exited: ${out}`)));
  });
  try {
    const r = await runScenario(loadScenario(example('four-vs-five.yaml')), { remote: { host: '127.0.0.1', port: feedPort } });
    assert.match(r.observation.source, /^remote monitor 127\.0\.0\.1:\d+$/);
    assert.ok(r.passed, r.results.map((x) => `${x.held} ${x.name}: ${x.detail}`).join('\n'));
  } finally {
    mon.kill('SIGINT');
  }
  const refused = runCli(['run', example('four-vs-five.yaml'), '--remote-monitor', '127.0.0.1:1']);
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /^ucprobe: cannot reach the remote monitor at 127\.0\.0\.1:1: ECONNREFUSED/);
});

const canCapture = spawnSync('tcpdump', ['-D'], { stdio: 'ignore' }).status === 0;

test('against the wire: a live capture of lo through the pipeline', { timeout: 30_000, skip: canCapture ? false : 'tcpdump cannot capture here (needs root or CAP_NET_RAW)' }, async () => {
  const r = await runScenario(loadScenario(example('four-vs-five.yaml')), { verifyCapture: 'lo' });
  assert.equal(r.observation.source, 'capture on lo');
  assert.ok(r.passed, r.results.map((x) => `${x.held} ${x.name}: ${x.detail}`).join('\n'));
  const bad = runCli(['run', example('four-vs-five.yaml'), '--verify-capture', 'nosuchif0']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /^ucprobe: --verify-capture: cannot capture on nosuchif0: no such interface/);
});

test('lab commands\' bad input: one line each, exit 2', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['generate', '--to', 'no-such-host.invalid:39500', '--count', '1'], /cannot resolve 'no-such-host\.invalid'/],
    [['generate', '--to', '127.0.0.1:0', '--count', '1'], /--to: expected host:port/],
    [['generate', '--to', '127.0.0.1:9', '--dscp', 'EFF', '--count', '1'], /--dscp: expected a DSCP name/],
    [['generate', '--count', '1'], /required option '--to <host:port>'/],
    [['generate', '--streams', join(tmp, 'none.yaml')], /none\.yaml: no such file/],
  ];
  for (const [args, want] of cases) {
    const r = runCli(args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, want);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  // A port already in use, for both the generator's source and the monitor.
  const holder = createSocket('udp4');
  await bindUdp(holder, 0, '127.0.0.1');
  const busy = holder.address().port;
  try {
    for (const args of [['monitor', '--port', String(busy), '--bind', '127.0.0.1', '--duration', '1s'], ['generate', '--to', '127.0.0.1:9', '--from', `127.0.0.1:${busy}`, '--count', '1']]) {
      const r = runCli(args);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`cannot (listen on|bind) UDP 127\\.0\\.0\\.1 port ${busy}: .*in use`));
    }
  } finally {
    holder.close();
  }
  // A system that refuses the TOS option: the error names the option and the value.
  const s = createSocket('udp4');
  await bindUdp(s, 0, '127.0.0.1');
  const refuse = (): void => {
    throw Object.assign(new Error('EPERM, Operation not permitted'), { code: 'EPERM' });
  };
  assert.throws(() => setSocketDscp(s, 4, 46, refuse), /the system refused IP_TOS 184 \(DSCP 46\): EPERM/);
  s.close();
});
