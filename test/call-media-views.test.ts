// Each call's media in every call list: the terminal UI's SIP pane, on a
// file (`ucprobe tui FILE`) and live, shows the MOS, worst loss and jitter
// that `sip calls` and `analyze` give, joined by Call-ID; a call with no
// media shows dashes. And `sip calls --fail-on mos|rtp-loss` fails as
// analyze does, naming the worst call or stream. The capture is the writer's
// (test/call-media-fixture.ts).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeFile } from '../src/analysis/analyze.js';
import type { CallMedia } from '../src/media/analyzer.js';
import { LiveSession } from '../src/live/session.js';
import { fileSource } from '../src/live/sources.js';
import type { LiveSnapshot } from '../src/live/view-model.js';
import { readCapture } from '../src/sources/capture-reader.js';
import { sanitize } from '../src/output/sanitize.js';
import { sipPane } from '../src/tui/sip-pane.js';
import { EVIL_MEDIA_CALL_ID, MEDIA_CALL_IDS, SILENT_CALL_ID, writeCallMediaCapture } from './call-media-fixture.js';
import { runCli } from './helpers.js';
import { sipCallsFindings } from '../src/cli/fail-on.js';

const dir = mkdtempSync(join(tmpdir(), 'ucprobe-call-media-'));
const FILE = join(dir, 'calls.pcap');
writeCallMediaCapture(FILE);

const byCallId = (list: CallMedia[]): CallMedia[] => [...list].sort((a, b) => (a.callId < b.callId ? -1 : 1));

/** `sip calls`' rows: escaped Call-ID -> its last three cells (mos, loss %, jitter ms). */
function sipCallsFigures(): Map<string, string[]> {
  const r = runCli(['sip', 'calls', FILE]);
  assert.equal(r.status, 0, r.stderr);
  const rows = r.stdout.trimEnd().split('\n').slice(1).map((l) => l.trim().split(/\s{2,}/));
  return new Map(rows.map((cells) => [cells[1], cells.slice(-3)]));
}

/** The SIP pane's call rows: escaped Call-ID -> the MOS, loss % and jitter cells as drawn, at a width that shows every column. */
function paneFigures(snap: LiveSnapshot): Map<string, string[]> {
  const pane = sipPane(snap, 160);
  const header = pane.columns!.map((s) => s.text).join('');
  assert.match(header, /msgs +MOS loss % jit ms$/);
  const out = new Map<string, string[]>();
  for (const l of pane.lines) {
    if (l.callId === null) continue;
    const text = l.segs.map((s) => s.text).join('');
    // Nothing from a packet reaches the terminal raw.
    assert.ok(!text.includes('\u001b'), JSON.stringify(text));
    out.set(sanitize(l.callId), text.trimEnd().split(/ +/).slice(-3));
  }
  return out;
}

/** sip calls prints the figures as they are (5.2, 33.527); the pane to one decimal, as its media pane does. */
function asPaneShows(cells: string[]): string[] {
  const [mos, loss, jitter] = cells;
  return [mos, loss === '-' ? '-' : Number(loss).toFixed(1), jitter === '-' ? '-' : Number(jitter).toFixed(1)];
}

test('the SIP pane over a file shows the media sip calls and analyze give each call; a call with no media dashes', async () => {
  const report = await analyzeFile(FILE);
  // The scripted figures: the jitter past the 60 ms buffer scores worst, then the burst of 20 lost.
  assert.deepEqual(report.rtp.calls.map((c) => [c.callId, c.mos, c.lossPercent, c.jitterMs]), [
    ['jitter@10.60.0.5', 1.91, 0, 33.527], ['burst@10.60.0.3', 3.95, 4, 0], [EVIL_MEDIA_CALL_ID, 4.25, 1.8, 0], ['clean@10.60.0.1', 4.41, 0, 0],
  ]);
  // As `ucprobe tui FILE` reads it: the file on the event loop, then the session ended at its last packet.
  const s = new LiveSession({ source: { kind: 'file', name: FILE, filter: null } });
  const src = fileSource(FILE, s.frame);
  assert.equal(await src.ended, null);
  s.end();
  const snap = s.snapshot(src.now());
  assert.equal(snap.calls.length, 5);
  assert.deepEqual(byCallId(snap.media.calls), byCallId(report.rtp.calls));
  const cli = sipCallsFigures();
  const pane = paneFigures(snap);
  assert.deepEqual([...pane.keys()].sort(), [...cli.keys()].sort());
  for (const [callId, cells] of cli) assert.deepEqual(pane.get(callId), asPaneShows(cells), callId);
  assert.deepEqual(pane.get(sanitize(EVIL_MEDIA_CALL_ID)), ['4.25', '1.8', '0.0']);
  assert.deepEqual(pane.get('jitter@10.60.0.5'), ['1.91', '0.0', '33.5']);
  assert.deepEqual(pane.get(SILENT_CALL_ID), ['-', '-', '-']);
});

test('live, before the capture ends, the pane shows each call\'s media so far, as analyze of the packets so far', async () => {
  // Half the packets: every call has begun and its media is under way.
  const total = (await readCapture(FILE, () => undefined)).packets;
  const half = Math.floor(total / 2);
  const s = new LiveSession({ source: { kind: 'interface', name: 'test0', filter: null } });
  let handed = 0;
  const facts = await readCapture(FILE, (info, bytes) => {
    handed++;
    s.frame(info, bytes);
  }, undefined, () => handed >= half);
  const snap = s.snapshot(facts.lastTs!);
  assert.equal(snap.ended, false);
  const sofar = await analyzeFile(FILE, {}, {}, [], { count: half });
  assert.equal(sofar.rtp.calls.length, MEDIA_CALL_IDS.length);
  assert.deepEqual(byCallId(snap.media.calls), byCallId(sofar.rtp.calls));
  const pane = paneFigures(snap);
  for (const c of sofar.rtp.calls) {
    assert.deepEqual(pane.get(sanitize(c.callId)), [c.mos === null ? '-' : c.mos.toFixed(2), c.lossPercent.toFixed(1), (c.jitterMs ?? 0).toFixed(1)], c.callId);
  }
  assert.deepEqual(pane.get(SILENT_CALL_ID), ['-', '-', '-']);
});

test('the MOS, loss and jitter columns keep their widths whatever the calls\' media', async () => {
  const s = new LiveSession({ source: { kind: 'file', name: FILE, filter: null } });
  const facts = await readCapture(FILE, s.frame);
  s.end();
  const snap = s.snapshot(facts.lastTs!);
  const header = (x: LiveSnapshot, w: number): string => sipPane(x, w).columns!.map((seg) => seg.text).join('');
  for (const w of [100, 130, 200]) assert.equal(header({ ...snap, media: { ...snap.media, calls: [] } }, w), header(snap, w), `width ${w}`);
  // Each row as wide as the header: the figures sit under their titles.
  for (const l of sipPane(snap, 130).lines) if (l.callId !== null) assert.equal(l.segs.map((seg) => seg.text).join('').length, header(snap, 130).length);
});

test('sip calls --fail-on mos and rtp-loss: exit 1 and one line naming the worst, as analyze', () => {
  for (const cmd of [['sip', 'calls'], ['analyze']]) {
    // The jittery call's worse direction scores 1.91; the other calls 3.95 and up.
    const mos = runCli([...cmd, FILE, '--fail-on', 'mos']);
    assert.equal(mos.status, 1, cmd.join(' '));
    assert.equal(mos.stderr, `ucprobe: --fail-on: 1 call(s) or stream(s) with MOS below 3.6 in ${FILE}, the worst call jitter@10.60.0.5 at 1.91\n`);
    // Two streams lose more than 1 %: the burst (4 %) and the random loss (1.8 %), in the call whose Call-ID is escaped.
    const loss = runCli([...cmd, FILE, '--fail-on', 'rtp-loss']);
    assert.equal(loss.status, 1, cmd.join(' '));
    assert.equal(loss.stderr, `ucprobe: --fail-on: 2 RTP stream(s) losing more than 1 % in ${FILE}, the worst stream 10.60.0.3:16000>10.60.0.4:26000 0x00004003 (call burst@10.60.0.3) at 4 %\n`);
    assert.equal(runCli([...cmd, FILE, '--fail-on', 'rtp-loss', '--rtp-loss-threshold', '4']).status, 0);
    const both = runCli([...cmd, FILE, '--fail-on', 'mos,rtp-loss', '--mos-threshold', '4.3', '--rtp-loss-threshold', '2']);
    assert.equal(both.status, 1);
    assert.match(both.stderr, /^ucprobe: --fail-on: 3 call\(s\) or stream\(s\) with MOS below 4\.3 in .*, the worst call jitter@10\.60\.0\.5 at 1\.91; 1 RTP stream\(s\) losing more than 2 % in .*burst@10\.60\.0\.3\) at 4 %\n$/);
    assert.ok(!both.stderr.includes('\u001b'));
    assert.equal(runCli([...cmd, FILE, '--fail-on', 'mos', '--mos-threshold', '1.9']).status, 0);
  }
  // --jitter-buffer means what it does in analyze: 200 ms takes the jittery call's late packets in, but adds delay to every call.
  const deep = runCli(['sip', 'calls', FILE, '--fail-on', 'mos', '--mos-threshold', '4.3', '--jitter-buffer', '200']);
  assert.equal(deep.status, 1);
  assert.match(deep.stderr, /: 4 call\(s\) or stream\(s\) with MOS below 4\.3 in .*, the worst call burst@10\.60\.0\.3 at 3\.73\n$/);
  // What sip calls cannot judge is a usage error naming analyze.
  const other = runCli(['sip', 'calls', FILE, '--fail-on', 'mos,failover']);
  assert.equal(other.status, 2);
  assert.equal(other.stderr, "ucprobe: --fail-on: 'failover' is for analyze; sip calls judges keepalive, sip-timeout, mos, rtp-loss\n");
  assert.equal(runCli(['sip', 'calls', FILE, '--fail-on', 'mose']).status, 2);
});

test('--fail-on names a call by its Call-ID escaped', async () => {
  const r = await analyzeFile(FILE);
  const evilOnly = { ...r, rtp: { ...r.rtp, calls: r.rtp.calls.filter((c) => c.callId === EVIL_MEDIA_CALL_ID) } };
  assert.deepEqual(sipCallsFindings('x.pcap', evilOnly, ['mos'], { mos: 4.3, rtpLossPercent: 1 }),
    ['1 call(s) or stream(s) with MOS below 4.3 in x.pcap, the worst call evil-\\x1b[31m@10.60.0.9 at 4.25']);
});

test('tui and live take --jitter-buffer as sip calls and analyze do, so their MOS can agree', () => {
  const bad = runCli(['tui', FILE, '--no-ui', '--jitter-buffer', 'soon']);
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr, "ucprobe: --jitter-buffer: expected a number from 0 to 10000, got 'soon'\n");
  assert.equal(runCli(['tui', FILE, '--no-ui', '-q', '--jitter-buffer', '200']).status, 0);
});
