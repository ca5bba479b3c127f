// `analyze --format csv`: the per-stream, per-flow and per-call tables hold
// the report's values, quoted by RFC 4180, and packet text cannot become a
// spreadsheet formula.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { REPO, runCli } from './helpers.js';
import { analyzeFile } from '../src/analysis/analyze.js';
import { csv } from '../src/output/csv.js';
import { isoTime } from '../src/common/time-format.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { buildUdpFrame, parseIpv4, sipBytes, sipRequest, sipResponse, type SipNameAddr } from '../src/writer/frame-builder.js';
import { PcapWriter } from '../src/writer/pcap-writer.js';

const DEMO = join(REPO, 'captures', 'demo.pcap');

/** RFC 4180 rows: quoted fields may hold commas, quotes ("") and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  return rows;
}

function table(args: string[]): Array<Record<string, string>> {
  const r = runCli(['analyze', DEMO, '--format', 'csv', ...args]);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.stdout.endsWith('\r\n'));
  const [header, ...rows] = parseCsv(r.stdout);
  for (const row of rows) assert.equal(row.length, header.length);
  return rows.map((row) => Object.fromEntries(header.map((h, i) => [h, row[i]])));
}

test('streams table: one row per heartbeat stream with the report values', async () => {
  const report = await analyzeFile(DEMO);
  const rows = table([]);
  assert.equal(rows.length, report.heartbeats.streams.length);
  for (const [i, s] of report.heartbeats.streams.entries()) {
    const row = rows[i];
    assert.equal(row.stream, s.key);
    assert.equal(Number(row.received), s.received);
    assert.equal(Number(row.lost), s.lost);
    assert.equal(Number(row.longest_miss_run), s.longestMissRun);
    assert.equal(Number(row.failovers), s.failovers);
    assert.equal(Number(row.last_seq), s.lastSeq);
    assert.equal(row.first_time, isoTime(s.firstTime));
    assert.equal(Number(row.interval_p50_ms), s.intervalMs?.p50);
  }
  assert.ok(rows.some((r) => Number(r.failovers) === 1 && Number(r.longest_miss_run) >= 5), 'the demo failover stream');
});

test('flows and calls tables: DSCP verdicts and calls of the report', async () => {
  const report = await analyzeFile(DEMO);
  const flows = table(['--table', 'flows']);
  assert.equal(flows.length, report.dscpAudit.flows.length);
  for (const [i, f] of report.dscpAudit.flows.entries()) {
    assert.equal(flows[i].flow, f.flow);
    assert.equal(flows[i].verdict, f.verdict);
    assert.equal(Number(flows[i].packets), f.packets);
  }
  const bad = flows.find((f) => f.verdict === 'violation');
  assert.ok(bad, 'the demo has a wrongly marked flow');
  assert.equal(bad.expected, 'EF');
  const calls = table(['--table', 'calls']);
  assert.equal(calls.length, report.sipAnalysis.calls.calls.length);
  calls.forEach((c, i) => {
    assert.equal(c.call_id, report.sipAnalysis.calls.calls[i].callId);
    assert.equal(c.state, report.sipAnalysis.calls.calls[i].state);
  });
});

test('quoting: commas and quotes survive, line breaks are shown escaped; text cannot start a formula; null is empty', () => {
  const text = csv(['a', 'b', 'c', 'd'], [['x,y', 'say "hi"', 'two\nlines', null], ['=HYPERLINK("http://evil")', '@SUM(A1)', -5, '-1+2']]);
  assert.deepEqual(parseCsv(text), [
    ['a', 'b', 'c', 'd'],
    ['x,y', 'say "hi"', 'two\\x0alines', ''],
    ["'=HYPERLINK(\"http://evil\")", "'@SUM(A1)", '-5', "'-1+2"],
  ]);
});

test('--table without csv output is harmless; a bad table name is one usage line', () => {
  const r = runCli(['analyze', DEMO, '--format', 'csv', '--table', 'nope']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--table.*nope/);
});

// ---------------------------------------------------------------- text from packets

const ESC = '\u001b';
const BEL = '\u0007';
/** A window title, a screen wipe, a clipboard write (OSC 52) and a one-character C1 CSI (U+009B), all in one Call-ID. */
const HOSTILE_CALL_ID = `${ESC}]0;title${BEL}${ESC}[2J${ESC}]52;c;aGVsbG8=${BEL}\u009b31m@10.66.0.1`;
const HOSTILE_DISPLAY = `${ESC}]0;owned${BEL}\u009b2J`;

/** INVITE, 200, ACK, BYE, 200 of one call whose Call-ID and From carry escapes, written by the project's frame and pcap writers. */
function writeHostileCall(path: string, fromUser: string): void {
  const a = { ip: '10.66.0.1', port: 5060 };
  const b = { ip: '10.66.0.2', port: 5060 };
  const w = new PcapWriter(path, { precision: 'us' });
  const from: SipNameAddr = { uri: `sip:${fromUser}@${a.ip}`, display: HOSTILE_DISPLAY, tag: 't1' };
  const to: SipNameAddr = { uri: `sip:bob@${b.ip}` };
  const toTagged: SipNameAddr = { ...to, tag: 't2' };
  const common = { callId: HOSTILE_CALL_ID, from };
  const msgs: Array<[number, boolean, string]> = [
    [0, true, sipRequest({ ...common, method: 'INVITE', requestUri: `sip:bob@${b.ip}`, to, via: [{ transport: 'UDP', host: a.ip, port: a.port, branch: 'z9hG4bK1' }], cseq: { seq: 1, method: 'INVITE' } })],
    [1, false, sipResponse({ ...common, status: 200, to: toTagged, via: [{ transport: 'UDP', host: a.ip, port: a.port, branch: 'z9hG4bK1' }], cseq: { seq: 1, method: 'INVITE' } })],
    [2, true, sipRequest({ ...common, method: 'ACK', requestUri: `sip:bob@${b.ip}`, to: toTagged, via: [{ transport: 'UDP', host: a.ip, port: a.port, branch: 'z9hG4bK2' }], cseq: { seq: 1, method: 'ACK' } })],
    [5, true, sipRequest({ ...common, method: 'BYE', requestUri: `sip:bob@${b.ip}`, to: toTagged, via: [{ transport: 'UDP', host: a.ip, port: a.port, branch: 'z9hG4bK3' }], cseq: { seq: 2, method: 'BYE' } })],
    [6, false, sipResponse({ ...common, status: 200, to: toTagged, via: [{ transport: 'UDP', host: a.ip, port: a.port, branch: 'z9hG4bK3' }], cseq: { seq: 2, method: 'BYE' } })],
  ];
  for (const [sec, fromA, text] of msgs) {
    const [src, dst] = fromA ? [a, b] : [b, a];
    const frame = buildUdpFrame({ src: Uint8Array.of(2, 0, ...parseIpv4(src.ip)), dst: Uint8Array.of(2, 0, ...parseIpv4(dst.ip)) },
      { src: src.ip, dst: dst.ip, dscp: 24, ttl: 64 }, { sport: src.port, dport: dst.port, payload: sipBytes(text) });
    w.writePacket(1_800_000_000 + sec, 0, frame);
  }
  w.close();
}

/** Any C0 control but the CRLF that ends CSV rows, DEL, or a C1 control. */
const RAW_CONTROL = /[\u0000-\u0009\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
const SHOWN_CALL_ID = '\\x1b]0;title\\x07\\x1b[2J\\x1b]52;c;aGVsbG8=\\x07\\x9b31m@10.66.0.1';

test('CSV: terminal escapes from a SIP Call-ID and From are shown escaped, as the text output shows them; a From user can start no formula', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'ucprobe-csv-'));
  const path = join(tmp, 'hostile.pcap');
  writeHostileCall(path, '=HYPERLINK("http://evil")');
  const r = runCli(['analyze', path, '--format', 'csv', '--table', 'calls']);
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stdout, RAW_CONTROL);
  const [header, row] = parseCsv(r.stdout);
  const col = (name: string): string => row[header.indexOf(name)];
  assert.equal(col('call_id'), SHOWN_CALL_ID);
  assert.equal(col('from'), `'=HYPERLINK("http://evil")@10.66.0.1`);
  assert.equal(col('to'), 'bob@10.66.0.2');
  assert.equal(col('state'), 'completed');
  // The text report shows the Call-ID the same way.
  const text = runCli(['sip', 'calls', path]);
  assert.ok(text.stdout.includes(SHOWN_CALL_ID), text.stdout);
});

test('--json: no raw C1 control (U+009B) or other control; the strings read back as they came', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'ucprobe-json-'));
  const path = join(tmp, 'hostile.pcap');
  writeHostileCall(path, 'alice');
  for (const args of [['analyze', '--json', path], ['sip', 'calls', '--json', path], ['dissect', '--json', path]]) {
    const r = runCli(args);
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/, args.join(' '));
    assert.ok(r.stdout.includes('\\u009b31m'), `${args.join(' ')}: U+009B escaped as \\u009b`);
    const values: unknown = args[0] === 'dissect' ? r.stdout.trim().split('\n').map((l) => JSON.parse(l)) : JSON.parse(r.stdout);
    assert.ok(JSON.stringify(values).includes(JSON.stringify(HOSTILE_CALL_ID).slice(1, -1)), `${args.join(' ')}: the Call-ID reads back whole`);
  }
});

test('dissect -V shows each SIP message as sent (header case, every line) below the parsed tree, escapes shown escaped', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'ucprobe-v-'));
  const path = join(tmp, 'hostile.pcap');
  writeHostileCall(path, 'alice');
  const r = runCli(['dissect', '-V', path, '-c', '1']);
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stdout, RAW_CONTROL);
  const sent = r.stdout.slice(r.stdout.indexOf('As sent ('));
  assert.match(sent, /^As sent \(\d+ bytes\):\n {6}INVITE sip:bob@10\.66\.0\.2 SIP\/2\.0\n {6}Via: SIP\/2\.0\/UDP 10\.66\.0\.1:5060;branch=z9hG4bK1/);
  assert.ok(sent.includes(`      Call-ID: ${SHOWN_CALL_ID}`), sent);
  assert.ok(r.stdout.includes('    call-id: '), 'the parsed tree is still there');
});
