// The terminal UI as a user has it: `ucprobe tui captures/demo.pcap` in a
// real terminal (tmux) at 80x24 and at 200x50, keys typed, the screen read
// back. At 80x24 the heartbeat streams show both ends, a call is found by a
// header of its messages, opened, one message shown as sent and the call
// saved (tshark reads its 14 SIP messages back); at 200x50 the panes stand in
// two columns and the media pane shows the demo's streams with analyze's MOS,
// loss and jitter.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { analyzeFile } from '../src/analysis/analyze.js';
import { textWidth } from '../src/tui/text.js';
import { REPO, hasTshark, tshark } from './helpers.js';
import { lbFrames, meshFrames, writeFrames } from './cluster-fixtures.js';

const DEMO = join(REPO, 'captures', 'demo.pcap');
const CLI = join(REPO, 'bin', 'ucprobe.js');
const hasTmux = spawnSync('tmux', ['-V'], { stdio: 'ignore' }).status === 0;
const CALL = '64d2f5e2afaefa72@10.30.0.102';
/** The Via branch of the call's first INVITE: in no other call's messages. */
const BRANCH = 'z9hG4bK0846f321889f';

interface Term {
  screen(): string;
  keys(...keys: string[]): void;
  /** The screen once `what` is on it and the frame is drawn whole (two captures alike); fails with the screen after `ms`. */
  until(what: RegExp | string, ms?: number): Promise<string>;
  close(): void;
}

function terminal(name: string, cols: number, rows: number, cwd: string, args: string[]): Term {
  const session = `ucprobe-tui-${name}-${process.pid}`;
  const cmd = `${process.execPath} ${CLI} ${args.join(' ')}; echo "EXIT-STATUS $?"; sleep 60`;
  assert.equal(spawnSync('tmux', ['new-session', '-d', '-s', session, '-x', String(cols), '-y', String(rows), '-c', cwd, cmd]).status, 0);
  const screen = (): string => spawnSync('tmux', ['capture-pane', '-t', session, '-p'], { encoding: 'utf8' }).stdout;
  return {
    screen,
    // -l: the text as typed; named keys (Enter, Escape) go on their own.
    keys: (...keys) => {
      for (const k of keys) spawnSync('tmux', ['send-keys', '-t', session, ...(/^[A-Z][a-z]+$/.test(k) ? [k] : ['-l', k])]);
    },
    async until(what, ms = 15_000) {
      const end = Date.now() + ms;
      let before = '';
      for (;;) {
        const s = screen();
        // A capture may catch the terminal half-way through drawing a frame (the header new, the panes not yet): it counts once a second one is the same.
        if ((typeof what === 'string' ? s.includes(what) : what.test(s)) && s === before) return s;
        if (Date.now() > end) assert.fail(`the screen never showed ${what}:\n${s}`);
        before = s;
        await sleep(100);
      }
    },
    close: () => void spawnSync('tmux', ['kill-session', '-t', session]),
  };
}

function assertFits(screen: string, cols: number): void {
  for (const l of screen.split('\n')) assert.ok(textWidth(l) <= cols, `wider than ${cols}: ${l}`);
}

test('80x24: both ends of every heartbeat stream; a call found by a header, its ladder, a message as sent, the call saved', { skip: !hasTmux ? 'needs tmux' : false, timeout: 90_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ucprobe-tui-tmux-'));
  const t = terminal('80', 80, 24, dir, ['tui', DEMO]);
  try {
    const first = await t.until('ENDED');
    assertFits(first, 80);
    for (const s of ['10.10.1.11:39600>10.10.2.11:39601', '10.10.2.11:39601>10.10.1.11:39600', '10.10.1.21:39700>10.10.2.21:39701', '10.10.2.21:39701>10.10.1.21:39700']) {
      assert.match(first, new RegExp(`│[> ] OK +${s.replace(/\./g, '\\.')} `), `${s} whole at 80 columns`);
    }
    // Every pane is on screen, those with no room as their title line.
    for (const p of ['SIP  6 calls', 'Media  8 RTP streams', 'DSCP  30 flows', 'Events  8']) assert.ok(first.includes(p), p);

    // The SIP pane, searched by a Via branch: only the call whose messages carry it is left.
    t.keys('2', '/', BRANCH, 'Enter');
    const found = await t.until('1 calls by their messages');
    const rows = found.split('\n').filter((l) => /│[> ] \d\d:\d\d:\d\d\.\d{3} /.test(l));
    assert.equal(rows.length, 1, found);
    // At 80 columns From/To give way to MOS, loss and jitter: cut in the middle, their ends kept.
    assert.match(rows[0], /09:00:09\.000 1102@10~0\.0\.10 +8002@10~0\.0\.10 +completed +200 +4\.41 +0\.0 +0\.1│/);

    // Enter: the ladder, on the first message found; n: the next one found.
    t.keys('Enter');
    await t.until(new RegExp(`Ladder  Call-ID ${CALL.replace(/\./g, '\\.')} .*message 1 of 14`));
    t.keys('n');
    await t.until('message 2 of 14');
    // Enter: that message as sent (the proxy's 100 Trying, carrying the phone's Via).
    t.keys('Enter');
    const raw = await t.until('Message 2 of 14  100 Trying  10.20.0.10:5060 > 10.30.0.102:5060');
    assert.ok(raw.includes(`Via: SIP/2.0/UDP 10.30.0.102:5060;branch=${BRANCH}`), raw);
    assert.ok(raw.includes(`Call-ID: ${CALL}`), raw);
    assertFits(raw, 80);
    // Right: the next message, the proxy's INVITE to the call server.
    t.keys('Right');
    await t.until('Message 3 of 14  INVITE  10.20.0.10:5060 > 10.20.0.20:5060');

    // s saves the call beside where ucprobe runs; tshark reads the call's 14 SIP messages back.
    t.keys('s');
    await t.until(`saved call-${CALL}.pcapng: 413 packets, 14 SIP messages`, 30_000);
    const out = join(dir, `call-${CALL}.pcapng`);
    assert.ok(existsSync(out));
    if (hasTshark) {
      const callIds = (file: string): string[] => tshark(['-r', file, '-Y', 'sip', '-T', 'fields', '-e', 'sip.Call-ID']).filter(Boolean);
      const ours = callIds(out);
      assert.equal(ours.length, 14);
      assert.deepEqual(ours, callIds(DEMO).filter((c) => c === CALL));
    }

    // Esc twice: back to the panes; q leaves the terminal as it was.
    t.keys('Escape', 'Escape');
    await t.until('▶ SIP');
    t.keys('q');
    const after = await t.until(/EXIT-STATUS \d+/);
    assert.match(after, /EXIT-STATUS 0/);
    assert.doesNotMatch(after, /[┌└│]/, 'no UI left on the screen');
  } finally {
    t.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('200x50: the media pane shows the demo\'s RTP streams with analyze\'s MOS, loss and jitter', { skip: !hasTmux ? 'needs tmux' : false, timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ucprobe-tui-tmux-'));
  const t = terminal('200', 200, 50, dir, ['tui', DEMO]);
  try {
    const wide = await t.until('ENDED');
    assertFits(wide, 200);
    // Two columns side by side: heartbeats and SIP on the left, media, DSCP and events on the right.
    assert.match(wide, /│▶ Heartbeats  2 pairs, 4 streams +││  Media  8 RTP streams/);
    assert.match(wide, /│  SIP  6 calls.*││/);
    assert.match(wide, /││  Events  8, 2 alarms/);
    // 3: the media pane; z: it alone, every stream on screen.
    t.keys('3', 'z');
    const screen = await t.until('▶ Media  8 RTP streams, 0 packets lost, worst MOS 4.41');
    assertFits(screen, 200);
    const report = await analyzeFile(DEMO);
    assert.equal(report.rtp.streams.length, 8);
    for (const s of report.rtp.streams) {
      const line = screen.split('\n').find((l) => l.includes(` ${s.flow} `));
      assert.ok(line, `${s.flow} on screen:\n${screen}`);
      const mos = s.quality!.mos.toFixed(2);
      const marking = s.dscp['46'] ? 'EF' : 'CS0';
      assert.match(line, new RegExp(`│[> ] +${mos} +${s.lossPercent.toFixed(1)} +${s.jitterMs!.mean.toFixed(1)} ${marking} +G\\.711 +${s.packets} ${s.flow.replace(/\./g, '\\.')} `), line);
    }
    // Enter on a stream opens its call's ladder.
    t.keys('Enter');
    await t.until(/Ladder  Call-ID \S+@10\.30\.0\.10\d .*message 1 of 1[04]/);
    t.keys('q');
    await t.until(/EXIT-STATUS 0/);
  } finally {
    t.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('80x24: the cluster pane of a written mesh capture shows the reset link, and the events its going down and coming back', { skip: !hasTmux ? 'needs tmux' : false, timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ucprobe-tui-tmux-'));
  writeFrames(join(dir, 'mesh.pcap'), [...meshFrames(), ...lbFrames()]);
  const t = terminal('cluster', 80, 24, dir, ['tui', 'mesh.pcap']);
  try {
    await t.until('ENDED');
    t.keys('6');
    const screen = await t.until('▶ Cluster  8 nodes, 26/28 links up, 1 health check failing, 0 multicast groups');
    assertFits(screen, 80);
    // 1800000000 is 08:00:00 UTC: 10.1.0.5 reset the link at 30 s; 10.1.0.3 never got an answer from 10.1.0.7.
    assert.match(screen, /│[> ] 10\.1\.0\.2 - 10\.1\.0\.5 +RESET +08:00:30\.000 +1 /);
    assert.match(screen, /│[> ] 10\.1\.0\.3 - 10\.1\.0\.7 +MISSING +never up +0 /);
    // The events pane filtered to the mesh's.
    t.keys('5', 'z', '/', 'mesh', 'Enter');
    const events = await t.until('mesh-link-up');
    assert.match(events, /08:00:30\.000 .*mesh-link-down.*10\.1\.0\.2 <> 10\.1\.0\.5/);
    assert.match(events, /08:00:25\.001 .*mesh-link-up.*10\.1\.0\.1 <> 10\.1\.0\.8/);
    t.keys('q');
    await t.until(/EXIT-STATUS 0/);
  } finally {
    t.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
