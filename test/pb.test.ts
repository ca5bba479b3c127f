// The protobuf export: every --format pb stream decodes, field for field,
// to what the JSON output and the analyzers hold (no field lost), and the
// .proto alone is enough to read it (a decoder here with no project code).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { REPO, corpusCaptures, runCli, sleep } from './helpers.js';
import { analyzeFile } from '../src/analysis/analyze.js';

const DEMO = join(REPO, 'captures', 'demo.pcap');
const PROTO = join(REPO, 'src', 'pb', 'ucprobe.proto');
const tmp = mkdtempSync(join(tmpdir(), 'ucprobe-pb-'));

type Obj = Record<string, unknown>;

/** A reader written from the .proto alone: varint-length-prefixed ucprobe.v1.Record messages. */
function schemaOnlyDecode(bytes: Uint8Array): Obj[] {
  const Record = protobuf.loadSync(PROTO).lookupType('ucprobe.v1.Record');
  const reader = protobuf.Reader.create(bytes);
  const out: Obj[] = [];
  while (reader.pos < reader.len) {
    out.push(Record.toObject(Record.decodeDelimited(reader), { longs: Number, enums: String, defaults: true, arrays: true }));
  }
  return out;
}

function pbOf(args: string[]): { records: Obj[]; bytes: Buffer } {
  const file = join(tmp, `${args[0]}-${Math.random().toString(36).slice(2)}.pb`);
  const r = runCli([...args, '--format', 'pb', '-o', file]);
  assert.equal(r.status, 0, r.stderr);
  const bytes = readFileSync(file);
  return { records: schemaOnlyDecode(bytes), bytes };
}

function decodePbLines(bytes: Buffer): Obj[] {
  const file = join(tmp, `in-${Math.random().toString(36).slice(2)}.pb`);
  writeFileSync(file, bytes);
  const r = runCli(['decode-pb', file]);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Obj);
}

const kindOf = (r: Obj): string => Object.keys(r)[0];
const ofKind = (rs: Obj[], k: string): Obj[] => rs.filter((r) => kindOf(r) === k).map((r) => r[k] as Obj);

/**
 * Every field of `want` (an analyzer's record) is in `got` (the decoded message) with the same value:
 * null is an absent field; `renames` maps a record's field name to the message's.
 */
function assertCovers(want: unknown, got: unknown, path: string, renames: Record<string, string> = {}): void {
  if (want === null || want === undefined) {
    assert.equal(got, undefined, `${path}: expected absent, got ${JSON.stringify(got)}`);
    return;
  }
  if (Array.isArray(want)) {
    assert.ok(Array.isArray(got), `${path}: expected a list`);
    assert.equal((got as unknown[]).length, want.length, `${path}: length`);
    want.forEach((w, i) => assertCovers(w, (got as unknown[])[i], `${path}[${i}]`, renames));
    return;
  }
  if (typeof want === 'object') {
    assert.ok(got !== null && typeof got === 'object', `${path}: expected an object, got ${JSON.stringify(got)}`);
    for (const [k, v] of Object.entries(want as Obj)) assertCovers(v, (got as Obj)[renames[k] ?? k], `${path}.${k}`, renames);
    return;
  }
  assert.equal(got, want, path);
}

test('dissect --format pb: header, one packet per frame, End; decode-pb prints the same records as the schema-only reader', () => {
  const { records, bytes } = pbOf(['dissect', DEMO]);
  const json = runCli(['dissect', DEMO, '--json']).stdout.trim().split('\n').map((l) => JSON.parse(l) as Obj);
  assert.equal(kindOf(records[0]), 'header');
  const header = records[0].header as Obj;
  assert.equal(header.schemaVersion, 1);
  assert.equal(header.command, 'dissect');
  assert.deepEqual(header.sources, [DEMO]);
  const packets = ofKind(records, 'packet');
  assert.equal(packets.length, json.length);
  assert.deepEqual(records.at(-1), { end: { records: packets.length + 1, error: '' } });
  assert.deepEqual(decodePbLines(bytes), records);
});

/** Every field of `dissect --json` is in the packet message. */
function assertPacketCarriesJson(j: Obj, p: Obj, where: string): void {
  const ip = p.ip as Obj | undefined;
  const ns = String(p.tsNsec).padStart(9, '0');
  assert.equal(Number(`${p.tsSec as number}.${ns}`), j.time, `${where} time`);
  for (const k of ['frame', 'caplen', 'len', 'truncated', 'sport', 'dport', 'error']) assert.equal(p[k] ?? null, j[k], `${where} ${k}`);
  assert.equal(ip?.src ?? null, j.src, `${where} src`);
  assert.equal(ip?.dst ?? null, j.dst, `${where} dst`);
  assert.equal(ip?.version ?? null, j.ipVersion, `${where} ipVersion`);
  assert.equal(ip?.dscp ?? null, j.dscp, `${where} dscp`);
  assert.equal(p.transport === 'TRANSPORT_NONE' ? null : String(p.transport).slice(10).toLowerCase(), j.transport, `${where} transport`);
  assert.equal(p.app === 'APP_NONE' ? null : String(p.app).slice(4).toLowerCase().replace('_', '-'), j.app, `${where} app`);
  assert.deepEqual(p.vlans, j.vlans ?? [], `${where} vlans`);
  assert.deepEqual((p.tunnels as Obj[]).map((t) => ({ src: t.src, dst: t.dst, dscp: t.dscp })), j.tunnels ?? [], `${where} tunnels`);
  if (j.hb) assert.deepEqual(p.heartbeat, j.hb, `${where} hb`);
  if (j.rtp) {
    const rtp = p.rtp as Obj;
    assert.deepEqual({ payloadType: rtp.payloadType, seq: rtp.seq, ssrc: rtp.ssrc }, j.rtp, `${where} rtp`);
  }
  const sip = [j.sip, ...((j.sipMore as Obj[] | undefined) ?? [])].filter(Boolean) as Obj[];
  assert.equal((p.sip as Obj[]).length, sip.length, `${where} sip count`);
  sip.forEach((s, i) => assertCovers(s, (p.sip as Obj[])[i], `${where} sip[${i}]`));
}

test('dissect --format pb carries every field dissect --json prints, on the demo and every corpus capture', () => {
  let packets = 0;
  for (const file of [DEMO, ...corpusCaptures()]) {
    const json = runCli(['dissect', file, '--json']);
    const pb = runCli(['dissect', file, '--format', 'pb', '-o', join(tmp, 'c.pb')]);
    assert.equal(pb.status, json.status, `${file}: exit status`);
    if (json.status !== 0) continue;
    const want = json.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Obj);
    const got = ofKind(schemaOnlyDecode(readFileSync(join(tmp, 'c.pb'))), 'packet');
    assert.equal(got.length, want.length, file);
    want.forEach((j, i) => assertPacketCarriesJson(j, got[i], `${file} frame ${j.frame as number}`));
    packets += want.length;
  }
  assert.ok(packets > 4000, `${packets} packets compared`);
});

test('analyze --format pb: every stream, event, call, keepalive and DSCP verdict of the report, no field lost', async () => {
  const report = await analyzeFile(DEMO);
  const { records } = pbOf(['analyze', DEMO]);
  const capture = ofKind(records, 'capture');
  assert.equal(capture.length, 1);
  assertCovers({ ...report.capture, spanSeconds: undefined, file: DEMO }, capture[0], 'capture');

  const streams = ofKind(records, 'heartbeatStream');
  assert.equal(streams.length, report.heartbeats.streams.length);
  report.heartbeats.streams.forEach((s, i) => assertCovers(s, streams[i], `stream ${s.key}`));

  const events = ofKind(records, 'heartbeatEvent');
  assert.equal(events.length, report.heartbeats.events.length);
  assert.ok(report.heartbeats.events.some((e) => e.type === 'failover' && e.reset !== null), 'the demo has a failover with its reset');
  report.heartbeats.events.forEach((e, i) => {
    const m = events[i];
    const { type, time, stream, ...rest } = e;
    const kind = type === 'unexplained-reset' ? 'reset' : type;
    assert.equal(m.time, time);
    assert.equal(m.stream, stream ?? '');
    assert.deepEqual(Object.keys(m).filter((k) => !['time', 'stream'].includes(k)), [kind], `event ${i} kind`);
    if (kind === 'reset') assert.equal((m.reset as Obj).explained, type === 'reset');
    assertCovers(rest, m[kind], `event ${i} ${type}`);
  });

  const calls = ofKind(records, 'sipCall');
  assert.equal(calls.length, report.sipAnalysis.calls.calls.length);
  report.sipAnalysis.calls.calls.forEach((c, i) => assertCovers(c, calls[i], `call ${c.callId}`));
  // A call with media carries its worse direction's MOS, loss and jitter.
  const first = calls.find((c) => c.callId === 'e67727cd50b02111@10.30.0.101')!;
  assert.deepEqual([first.mos, first.mediaLossPercent, first.mediaJitterMs], [4.41, 0, 0.126]);

  const rtp = ofKind(records, 'rtpStream');
  assert.equal(rtp.length, report.rtp.streams.length);
  report.rtp.streams.forEach((s, i) => {
    assert.deepEqual([rtp[i].flow, rtp[i].ssrc, rtp[i].packets, rtp[i].lost, rtp[i].jitterMeanMs, rtp[i].mos, rtp[i].callId], [s.flow, s.ssrc, s.packets, s.lost, s.jitterMs?.mean, s.quality?.mos, s.callId]);
  });

  const keepalives = ofKind(records, 'keepalive');
  assert.equal(keepalives.length, report.sipAnalysis.keepalives.length);
  report.sipAnalysis.keepalives.forEach((k, i) => assertCovers(k, keepalives[i], `keepalive ${k.requester}`));

  const verdicts = ofKind(records, 'dscpVerdict');
  assert.equal(verdicts.length, report.dscpAudit.flows.length);
  report.dscpAudit.flows.forEach((f, i) => {
    assertCovers({ ...f, verdict: `VERDICT_${f.verdict.toUpperCase()}` }, verdicts[i], `flow ${f.flow}`);
    assert.equal(verdicts[i].policy, report.dscpAudit.policy);
  });
  assert.ok(verdicts.some((v) => v.verdict === 'VERDICT_VIOLATION'), 'the demo has a wrongly marked flow');
});

test('decode-pb: a stream cut short, garbage, a stream without a header, a missing file: one line each, exit 2 or a warning', () => {
  const { bytes } = pbOf(['dissect', DEMO]);
  const cutAt = Math.floor(bytes.length / 2);
  const cutFile = join(tmp, 'cut.pb');
  writeFileSync(cutFile, bytes.subarray(0, cutAt));
  const cut = runCli(['decode-pb', cutFile]);
  assert.equal(cut.status, 2);
  assert.match(cut.stderr, /^ucprobe: .*cut\.pb: byte \d+: cut short inside a record .*after \d+ records\n$/);
  assert.ok(cut.stdout.split('\n').length > 100, 'the complete records before the cut are printed');

  // Cut exactly between records: everything decodes, and a warning says the End record is missing.
  const whole = schemaOnlyDecode(bytes).length;
  const noEnd = join(tmp, 'noend.pb');
  const Record = protobuf.loadSync(PROTO).lookupType('ucprobe.v1.Record');
  const reader = protobuf.Reader.create(bytes);
  for (let i = 0; i < 10; i++) Record.decodeDelimited(reader);
  writeFileSync(noEnd, bytes.subarray(0, reader.pos));
  const partial = runCli(['decode-pb', noEnd]);
  assert.equal(partial.status, 0);
  assert.equal(partial.stdout.trim().split('\n').length, 10);
  assert.match(partial.stderr, /no End record after 10 records/);
  assert.ok(whole > 10);

  const garbage = join(tmp, 'garbage.pb');
  writeFileSync(garbage, Buffer.from('\xff\xff\xff\xff\xff\xff not protobuf', 'latin1'));
  const g = runCli(['decode-pb', garbage]);
  assert.equal(g.status, 2);
  assert.match(g.stderr, /^ucprobe: .*garbage\.pb: byte 0: .*\n$/);

  const pcap = runCli(['decode-pb', DEMO]);
  assert.equal(pcap.status, 2);
  assert.equal(pcap.stderr.split('\n').length, 2, pcap.stderr);

  const missing = runCli(['decode-pb', join(tmp, 'nope.pb')]);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /nope\.pb: cannot read: no such file/);
});

test('--format pb refuses a terminal, conflicts with --json, and reads from stdin', () => {
  const both = runCli(['dissect', DEMO, '--json', '--format', 'pb']);
  assert.equal(both.status, 2);
  assert.match(both.stderr, /--json and --format pb: pick one/);
  const { bytes } = pbOf(['analyze', DEMO]);
  const r = runCli(['decode-pb', '-'], bytes);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim().split('\n').length, schemaOnlyDecode(bytes).length);
  const badDir = runCli(['analyze', DEMO, '--format', 'pb', '-o', join(tmp, 'no', 'such', 'dir.pb')]);
  assert.equal(badDir.status, 2);
  assert.match(badDir.stderr, /^ucprobe: --output: cannot write .*: no such directory\n$/);
});

test('live views --format pb (tui over the demo, no terminal): typed heartbeat events as analyze finds them, other findings as LiveEvent, closing records', async () => {
  const report = await analyzeFile(DEMO);
  const { records } = pbOf(['tui', DEMO]);
  assert.equal((records[0].header as Obj).command, 'live');
  assert.deepEqual((records[0].header as Obj).sources, [`file ${DEMO}`]);
  const typed = ofKind(records, 'heartbeatEvent');
  const detector = report.heartbeats.events.filter((e) => e.type !== 'reset' && e.type !== 'unexplained-reset');
  const key = (time: unknown, kind: string, stream: unknown): string => `${String(time)} ${kind} ${String(stream)}`;
  assert.deepEqual(
    typed.map((m) => key(m.time, Object.keys(m).find((k) => !['time', 'stream', 'declaredAt'].includes(k))!, m.stream)).sort(),
    detector.map((e) => key(e.time, e.type, e.stream)).sort(),
  );
  for (const m of typed) assert.equal(typeof m.declaredAt, 'number');
  const live = ofKind(records, 'liveEvent');
  assert.deepEqual(live.map((e) => e.kind).sort(), ['dscp-violation', 'keepalive-failing', 'reset']);
  const reset = live.find((e) => e.kind === 'reset')!;
  const linked = report.heartbeats.events.find((e) => e.type === 'reset')!;
  assert.equal(reset.time, linked.time);
  assert.equal(ofKind(records, 'heartbeatStream').length, report.heartbeats.streams.length);
  assert.equal(ofKind(records, 'sipCall').length, report.sipAnalysis.calls.calls.length);
  assert.equal(ofKind(records, 'keepalive').length, report.sipAnalysis.keepalives.length);
  assert.equal(ofKind(records, 'dscpVerdict').length, report.dscpAudit.flows.length);
  assert.equal(kindOf(records.at(-1)!), 'end');
});

test('monitor --format pb: events as declared with their declaredAt, streams at the end', { timeout: 30_000 }, async () => {
  const file = join(tmp, 'monitor.pb');
  const port = 20000 + Math.floor(Math.random() * 20000);
  const monitor = spawn(process.execPath, [join(REPO, 'bin', 'ucprobe.js'), 'monitor', '--port', String(port), '--bind', '127.0.0.1', '--duration', '4s', '--format', 'pb', '-o', file]);
  const done = new Promise<number | null>((r) => monitor.on('close', r));
  await sleep(800);
  const g = runCli(['generate', '--to', `127.0.0.1:${port}`, '--count', '20', '--burst', '5@seq:8']);
  assert.equal(g.status, 0, g.stderr);
  assert.equal(await done, 0);
  const records = schemaOnlyDecode(readFileSync(file));
  assert.equal((records[0].header as Obj).command, 'monitor');
  const failovers = ofKind(records, 'heartbeatEvent').filter((e) => 'failover' in e);
  assert.ok(failovers.length >= 1, JSON.stringify(records));
  assert.equal(((failovers[0].failover as Obj).lastSeq), 7);
  assert.ok((failovers[0].declaredAt as number) >= (failovers[0].time as number));
  const streams = ofKind(records, 'heartbeatStream');
  assert.equal(streams.length, 1);
  assert.equal(streams[0].lastSeq, 19);
  assert.equal(kindOf(records.at(-1)!), 'end');
});
