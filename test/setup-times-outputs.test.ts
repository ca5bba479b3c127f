// The whole capture's call setup times (first INVITE to first 2xx over every
// answered call) in every output of analyze: the pb SipSetupTimes record and
// the HTML report's SIP section carry the figures --json has in
// sipAnalysis.calls.setup and the text prints, on the demo (checked against
// tshark's packet times too), on a writer-made capture whose small call table
// drops calls (the median a histogram's), and not at all when no call was
// answered.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { REPO, hasTshark, runCli, tshark } from './helpers.js';
import { Dialog, MS, S, SipCapture, type SipHost } from './sip-patterns.js';
import { analysisRecords } from '../src/pb/analysis.js';
import { collectFile } from '../src/report/collect.js';
import { renderReport } from '../src/report/html.js';
import { setupTimesText } from '../src/output/sip-text.js';
import { jsonText } from '../src/output/json-text.js';
import type { SetupTimes } from '../src/sip/dialogs.js';

const DEMO = join(REPO, 'captures', 'demo.pcap');
const PROTO = join(REPO, 'src', 'pb', 'ucprobe.proto');
const dir = mkdtempSync(join(tmpdir(), 'ucprobe-setup-'));
after(() => rmSync(dir, { recursive: true, force: true }));

type Obj = Record<string, unknown>;
const Record = protobuf.loadSync(PROTO).lookupType('ucprobe.v1.Record');

/** Length-delimited Records read with protobufjs and the .proto alone, as another program would. */
function decodeRecords(bytes: Uint8Array): Obj[] {
  const reader = protobuf.Reader.create(bytes);
  const out: Obj[] = [];
  while (reader.pos < reader.len) out.push(Record.toObject(Record.decodeDelimited(reader), { longs: Number, enums: String, defaults: true, arrays: true }));
  return out;
}

const kinds = (records: Obj[]): string[] => records.map((r) => Object.keys(r)[0]);
const setupRecords = (records: Obj[]): Obj[] => records.filter((r) => 'sipSetup' in r).map((r) => r.sipSetup as Obj);

/** The report's setup sentence: its text after "Call " in the SIP section's note. */
function htmlSetup(html: string): string[] {
  return [...html.matchAll(/<p class="note">Call (setup time [^<]*)\.<\/p>/g)].map((m) => m[1]);
}

/** The text output's sentence from --json's figures: min, median and max as the text shows them (µs below 10 ms, else 0.1 ms). */
function sentenceOf(s: SetupTimes): string {
  const ms = (v: number): string => (v < 10 ? v.toFixed(3) : v.toFixed(1));
  return `setup time ms min/median/max ${ms(s.minMs)}/${ms(s.medianMs)}/${ms(s.maxMs)} over ${s.answered} answered call${s.answered === 1 ? '' : 's'}`;
}

/** First INVITE to first 2xx of each Call-ID from tshark's packet times (each demo call has a Call-ID of its own): min, lower median, max. */
function tsharkSetup(file: string): Omit<SetupTimes, 'medianExact'> {
  const invite = new Map<string, number>();
  const answered = new Map<string, number>();
  for (const line of tshark(['-r', file, '-n', '-Y', 'sip.CSeq.method == "INVITE"', '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'sip.Call-ID', '-e', 'sip.Method', '-e', 'sip.Status-Code'])) {
    const [time, callId, method, status] = line.split('\t');
    const t = Number(time);
    if (method === 'INVITE' && !invite.has(callId)) invite.set(callId, t);
    const code = Number(status);
    if (code >= 200 && code < 300 && !answered.has(callId)) answered.set(callId, t);
  }
  const ms = [...answered].map(([id, t]) => Math.round((t - invite.get(id)!) * 1e6) / 1e3).sort((a, b) => a - b);
  return { answered: ms.length, minMs: ms[0], medianMs: ms[Math.floor((ms.length - 1) / 2)], maxMs: ms[ms.length - 1] };
}

test('demo: the pb SipSetupTimes record and the report\'s line give --json\'s setup times (4 answered calls, 999.9/1500/2500 ms), as tshark times them', () => {
  const json = JSON.parse(runCli(['analyze', '--json', DEMO]).stdout) as { files: Array<{ sipAnalysis: { calls: { setup: SetupTimes } } }> };
  const setup = json.files[0].sipAnalysis.calls.setup;
  assert.deepEqual(setup, { answered: 4, minMs: 999.9, maxMs: 2500, medianMs: 1500, medianExact: true });
  if (hasTshark) {
    assert.deepEqual(tsharkSetup(DEMO), { answered: 4, minMs: 999.9, medianMs: 1500, maxMs: 2500 });
  }

  const pbFile = join(dir, 'demo.pb');
  const pb = runCli(['analyze', '--format', 'pb', DEMO, '-o', pbFile]);
  assert.equal(pb.status, 0, pb.stderr);
  const records = decodeRecords(readFileSync(pbFile));
  assert.deepEqual(setupRecords(records), [setup]);
  // After the file's six SipCall records, before its RTP streams.
  const order = kinds(records);
  assert.equal(order.indexOf('sipSetup'), order.lastIndexOf('sipCall') + 1);
  assert.equal(order.filter((k) => k === 'sipCall').length, 6);

  const htmlFile = join(dir, 'demo.html');
  const report = runCli(['report', DEMO, '-o', htmlFile]);
  assert.equal(report.status, 0, report.stderr);
  const html = readFileSync(htmlFile, 'utf8');
  assert.deepEqual(htmlSetup(html), ['setup time ms min/median/max 999.9/1500.0/2500.0 over 4 answered calls']);
  assert.deepEqual(htmlSetup(html), [sentenceOf(setup)]);
  // The same line as analyze's text output.
  assert.ok(runCli(['analyze', DEMO]).stdout.includes(`\n  ${htmlSetup(html)[0]}\n`));
});

/** 60 calls one after another from 10.1.0.11 to 10.1.0.20, call k answered `setupMs(k)` after its INVITE: 100 to 896.5 ms in steps of 13.5, in a shuffled order. */
const CALLS = 60;
const setupMs = (k: number): number => 100 + ((k * 37) % CALLS) * 13.5;

function writeCalls(file: string): void {
  const cap = new SipCapture();
  const a: SipHost = { ip: '10.1.0.11', port: 5060 };
  const b: SipHost = { ip: '10.1.0.20', port: 5060 };
  for (let k = 0; k < CALLS; k++) {
    const t = k * 2 * S;
    const d = new Dialog(cap, a, b, `call-${k}@test`, `f${k}`, `t${k}`);
    const inv = d.request(t, 'INVITE');
    d.respond(t + 20 * MS, inv, 180, { tagged: true });
    d.respond(t + setupMs(k) * MS, inv, 200, { tagged: true });
    d.request(t + (setupMs(k) + 5) * MS, 'ACK', { seq: inv.seq });
    const bye = d.request(t + 1500 * MS, 'BYE');
    d.respond(t + 1510 * MS, bye, 200);
  }
  cap.write(file);
}

test('a call table too small for the capture: pb and the report still count every answered call, the median a histogram\'s, as --json has it', async () => {
  const file = join(dir, 'calls.pcap');
  writeCalls(file);
  const exact = Array.from({ length: CALLS }, (_, k) => setupMs(k)).sort((x, y) => x - y);
  const rf = await collectFile(file, {}, {}, { sip: { maxCalls: 10 } });
  const calls = rf.report.sipAnalysis.calls;
  const setup = calls.setup!;
  const held = calls.calls.filter((c) => c.setupMs !== null).length;
  assert.ok(calls.evicted > 0 && held < CALLS, `${calls.evicted} calls dropped from the table, ${held} held`);
  // Count, min and max exact; the median from the histogram, within 0.025 % of the true lower median (491.5 ms).
  assert.deepEqual([setup.answered, setup.minMs, setup.maxMs, setup.medianExact], [CALLS, 100, 896.5, false]);
  assert.equal(exact[(CALLS - 2) / 2], 491.5);
  assert.ok(Math.abs(setup.medianMs - 491.5) <= 491.5 * 0.00025, `median ${setup.medianMs}`);
  // --json as the command writes it, read back.
  const json = (JSON.parse(jsonText({ files: [rf.report] })) as { files: Array<{ sipAnalysis: { calls: { setup: SetupTimes } } }> }).files[0].sipAnalysis.calls.setup;
  assert.deepEqual(json, setup);

  const writer = protobuf.Writer.create();
  for (const r of analysisRecords(rf.report)) Record.encodeDelimited(Record.fromObject(r), writer);
  const records = decodeRecords(writer.finish());
  assert.deepEqual(setupRecords(records), [json]);
  // Only the held calls have a SipCall record; the summary covers all 60.
  assert.equal(kinds(records).filter((k) => k === 'sipCall').length, calls.calls.length);

  const html = renderReport({ files: [rf], generatedAt: new Date(0), version: 'test' });
  assert.deepEqual(htmlSetup(html), [setupTimesText(calls)]);
  assert.equal(htmlSetup(html)[0], `setup time ms min/median/max 100.0/491.5/896.5 over 60 answered calls (median from a histogram, within 0.025 %: ${CALLS - held} of them dropped from the table)`);
  assert.equal(htmlSetup(html)[0].slice(0, sentenceOf(json).length), sentenceOf(json));
});

test('no call answered: no SipSetupTimes record and no setup line in the report, as --json has null', async () => {
  const cap = new SipCapture();
  const a: SipHost = { ip: '10.1.0.11', port: 5060 };
  const b: SipHost = { ip: '10.1.0.20', port: 5060 };
  const d = new Dialog(cap, a, b, 'busy-1@test', 'f1', 't1');
  const inv = d.request(0, 'INVITE');
  d.respond(20_000, inv, 100);
  d.respond(S, inv, 486, { tagged: true });
  d.request(S + 5_000, 'ACK', { branch: inv.branch, seq: inv.seq });
  const file = join(dir, 'busy.pcap');
  cap.write(file);

  const json = JSON.parse(runCli(['analyze', '--json', file]).stdout) as { files: Array<{ sipAnalysis: { calls: { total: number; setup: SetupTimes | null } } }> };
  assert.deepEqual([json.files[0].sipAnalysis.calls.total, json.files[0].sipAnalysis.calls.setup], [1, null]);
  const pbFile = join(dir, 'busy.pb');
  assert.equal(runCli(['analyze', '--format', 'pb', file, '-o', pbFile]).status, 0);
  const records = decodeRecords(readFileSync(pbFile));
  assert.deepEqual(setupRecords(records), []);
  assert.equal(kinds(records).filter((k) => k === 'sipCall').length, 1);
  const htmlFile = join(dir, 'busy.html');
  assert.equal(runCli(['report', file, '-o', htmlFile]).status, 0);
  const html = readFileSync(htmlFile, 'utf8');
  assert.deepEqual(htmlSetup(html), []);
  assert.match(html, /1 call: 1 failed/);
});
