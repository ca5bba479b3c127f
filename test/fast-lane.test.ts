// The pipeline's fast lane (plain UDP datagrams as batches of numbers, see
// src/pipeline/udp-batch.ts) must change nothing: `analyze` with it gives the
// report it gives without it (a consumer of records only closes the lane),
// byte for byte, on every bundled and corpus capture, on the benchmark's
// mixed traffic, on mutated frames and with the DSCP audit evicting flows.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { REPO, corpusCaptures } from './helpers.js';
import { analyzeFile, type FileReport } from '../src/analysis/analyze.js';
import { writeMixedCapture } from '../captures/make-captures.js';
import { readCapture } from '../src/sources/capture-reader.js';
import { CaptureError } from '../src/sources/types.js';
import { openCaptureWriter } from '../src/writer/pcap-writer.js';
import { Rng } from '../src/generator/rng.js';
import { Pipeline, type PipelineOptions } from '../src/pipeline/pipeline.js';
import { DscpAudit } from '../src/dscp/audit.js';
import { defaultPolicy } from '../src/dscp/default-policy.js';
import { buildUdpFrame, rtpPayload } from '../src/writer/frame-builder.js';
import type { UdpBatch } from '../src/pipeline/udp-batch.js';
import type { PacketRecord } from '../dissectors/types.js';
import { decodeFrame, decodeFrameLayered, decodeIpUdpFrame, newIpUdpFields, readIpUdp } from '../dissectors/frame.js';
import { HeartbeatStreams } from '../src/pipeline/heartbeat-streams.js';
import { FlowTable } from '../src/pipeline/flow-table.js';

const DEMO = join(REPO, 'captures', 'demo.pcap');
const dir = mkdtempSync(join(tmpdir(), 'ucprobe-fast-lane-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

async function sameWithAndWithoutLane(file: string, opts: Partial<PipelineOptions> = {}): Promise<FileReport> {
  const fast = await analyzeFile(file, opts);
  const slow = await analyzeFile(file, opts, {}, [() => {}]);
  assert.equal(JSON.stringify(fast), JSON.stringify(slow));
  return fast;
}

/**
 * The lane and the records' common case both read frames with readIpUdp;
 * every frame of `file` must decode as the layered decoders alone decode it,
 * and so must a frame the lane hands on (decodeIpUdpFrame), read where it
 * stands in a larger buffer.
 */
async function sameAsLayered(file: string): Promise<void> {
  const text = (r: PacketRecord) => JSON.stringify(r, (_, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v));
  let differ = 0;
  let first = '';
  const fields = newIpUdpFields();
  const AT = 7;
  const read = readCapture(file, (info, bytes) => {
    const quick = text(decodeFrame(info, bytes));
    const layered = text(decodeFrameLayered(info, bytes));
    if (quick !== layered && differ++ === 0) first = `frame ${info.frame}: ${quick.slice(0, 300)} vs ${layered.slice(0, 300)}`;
    const inBuffer = new Uint8Array(bytes.length + AT + 5).fill(0x41);
    inBuffer.set(bytes, AT);
    if (readIpUdp(info.linkType, inBuffer, AT, AT + info.caplen, fields)) {
      const inPlace = text(decodeIpUdpFrame(info, inBuffer, AT, fields));
      if (inPlace !== layered && differ++ === 0) first = `frame ${info.frame} read in place: ${inPlace.slice(0, 300)} vs ${layered.slice(0, 300)}`;
    }
  });
  // A corrupt file: the frames before the damage are compared.
  await read.catch((e: unknown) => {
    if (!(e instanceof CaptureError)) throw e;
  });
  assert.equal(differ, 0, `${basename(file)}: ${first}`);
}

const captures = [DEMO, ...corpusCaptures()];
test(`analyze is the same with and without the fast lane on ${captures.length} captures, every frame as the layered decode gives it`, async () => {
  for (const f of captures) {
    try {
      await sameAsLayered(f);
      await sameWithAndWithoutLane(f);
    } catch (e) {
      if (e instanceof assert.AssertionError) throw new Error(`${basename(f)}: ${e.message.slice(0, 400)}`);
      // Files the reader refuses refuse the same way either way.
      await assert.rejects(analyzeFile(f, {}, {}, [() => {}]), { message: (e as Error).message });
    }
  }
});

test('the same on mixed traffic (heartbeats, SIP, RTP, TCP), pcap and pcapng', async () => {
  for (const format of ['pcap', 'pcapng'] as const) {
    const file = join(dir, `mixed.${format}`);
    writeMixedCapture(file, { packets: 60_000, seed: 11, format });
    await sameWithAndWithoutLane(file);
  }
});

test('the same on mutated frames: flipped header and payload bytes, snaplen cuts', async () => {
  const file = join(dir, 'mutated.pcap');
  const w = openCaptureWriter(file, 'pcap', { precision: 'ns' });
  const rng = new Rng(2026);
  await readCapture(DEMO, (info, bytes) => {
    for (let k = 0; k < 3; k++) {
      const b = bytes.slice();
      // Mostly the bytes the fast lane reads: EtherType, IPv4 header, UDP header, first payload bytes.
      const flips = rng.int(0, 3);
      for (let f = 0; f < flips; f++) b[rng.int(12, Math.min(b.length - 1, 50))] = rng.u32() & 0xff;
      const cut = rng.float() < 0.1 ? rng.int(14, b.length) : b.length;
      w.writePacket(info.tsSec, info.tsNsec + k, b.subarray(0, cut), b.length);
    }
  });
  w.close();
  await sameWithAndWithoutLane(file);
});

/** An Ethernet frame re-encapsulated behind another link header the lane reads. */
type LinkKind = 'vlan' | 'qinq' | 'sll' | 'sll2' | 'null' | 'raw';
const LINK_TYPES: Record<LinkKind, number> = { vlan: 1, qinq: 1, sll: 113, sll2: 276, null: 0, raw: 101 };

function relink(kind: LinkKind, eth: Uint8Array, vlanId: number): Uint8Array {
  const type = eth.subarray(12, 14);
  const ip = eth.subarray(14);
  const join = (...parts: Uint8Array[]) => Buffer.concat(parts);
  const tag = (tpid: number) => Uint8Array.of(tpid >> 8, tpid & 0xff, (vlanId >> 8) & 0x0f, vlanId & 0xff);
  switch (kind) {
    case 'vlan': return join(eth.subarray(0, 12), tag(0x8100), type, ip);
    case 'qinq': return join(eth.subarray(0, 12), tag(0x88a8), tag(0x8100), type, ip);
    // packet type, ARPHRD_ETHER, address length, address (8), protocol
    case 'sll': return join(Uint8Array.of(0, 0, 0, 1, 0, 6), eth.subarray(6, 12), Uint8Array.of(0, 0), type, ip);
    // protocol, reserved, ifindex, ARPHRD_ETHER, packet type, address length, address (8)
    case 'sll2': return join(type, Uint8Array.of(0, 0, 0, 0, 0, 2, 0, 1, 0, 6), eth.subarray(6, 12), Uint8Array.of(0, 0), ip);
    // AF_INET (2) or Linux AF_INET6 (10), in little-endian host order
    case 'null': return join(Uint8Array.of(type[0] === 0x86 ? 10 : 2, 0, 0, 0), ip);
    case 'raw': return join(ip);
  }
}

test('the same behind other link headers: VLAN, QinQ, SLL, SLL2, null and raw IP, whole and mutated', async () => {
  const mixed = join(dir, 'mixed-relink.pcap');
  writeMixedCapture(mixed, { packets: 20_000, seed: 5 });
  for (const kind of Object.keys(LINK_TYPES) as LinkKind[]) {
    const file = join(dir, `relinked-${kind}.pcap`);
    const w = openCaptureWriter(file, 'pcap', { precision: 'ns', linkType: LINK_TYPES[kind] });
    const rng = new Rng(7);
    await readCapture(mixed, (info, bytes) => {
      const b = relink(kind, bytes, info.frame % 4096);
      w.writePacket(info.tsSec, info.tsNsec, b);
      // A mutated copy: bytes of the link and IPv4/UDP headers flipped, sometimes cut by the snaplen.
      const m = b.slice();
      const ipAt = b.length - (bytes.length - 14);
      for (let f = rng.int(1, 3); f > 0; f--) m[rng.int(0, Math.min(m.length - 1, ipAt + 28))] = rng.u32() & 0xff;
      const cut = rng.float() < 0.1 ? rng.int(0, m.length) : m.length;
      w.writePacket(info.tsSec, info.tsNsec + 1, m.subarray(0, cut), m.length);
    });
    w.close();
    await sameAsLayered(file);
    const report = await sameWithAndWithoutLane(file);
    assert.ok(report.protocols.rtp > 5_000, `${kind}: RTP recognised (${report.protocols.rtp})`);
    assert.ok(report.protocols.mdsHeartbeat > 100, `${kind}: heartbeats recognised`);
    if (kind === 'vlan' || kind === 'qinq') assert.ok(report.protocols.vlanTagged > 19_000, `${kind}: tagged frames counted`);
  }
});

test('the DSCP audit evicting flows keeps the same verdicts with batches as with records', async () => {
  const file = join(dir, 'flows.pcap');
  const w = openCaptureWriter(file, 'pcap', { precision: 'us' });
  const rng = new Rng(5);
  for (let i = 0; i < 20_000; i++) {
    const flow = rng.int(0, 299);
    const payload = rtpPayload({ payloadType: flow % 3 === 0 ? 50 : 0, seq: i, timestamp: 160 * i, ssrc: flow }, new Uint8Array(20));
    const frame = buildUdpFrame({ src: '00:00:00:00:00:01', dst: '00:00:00:00:00:02' },
      { src: `10.1.${flow >> 8}.${flow & 255}`, dst: '10.2.0.1', dscp: rng.float() < 0.05 ? 0 : 46, ecn: rng.int(0, 3) },
      { sport: 16384 + 2 * (flow % 50), dport: 20000 + flow, payload });
    w.writePacket(1_700_000_000 + Math.floor(i / 100), (i % 100) * 10_000_000, frame);
  }
  w.close();
  const run = async (recordsOnly: boolean) => {
    const audit = new DscpAudit(defaultPolicy(), 64);
    const batches: number[] = [];
    const counting = { add: audit.add, addUdpBatch: (b: UdpBatch) => { batches.push(b.length); audit.addUdpBatch(b); } };
    // The pipeline holds as few flows as the audit's own table (records handed over one by one): both evict alike.
    const p = new Pipeline(recordsOnly ? [audit.add] : [counting], { maxFlows: 64 });
    await readCapture(file, p);
    return { report: JSON.stringify(audit.report()), batches, frames: p.stats.frames };
  };
  const fast = await run(false);
  const slow = await run(true);
  assert.equal(fast.report, slow.report);
  assert.equal(fast.frames, 20_000);
  assert.equal(fast.batches.reduce((a, b) => a + b, 0), 20_000, 'every datagram went by the fast lane');
  assert.deepEqual(slow.batches, []);
  assert.ok(JSON.parse(fast.report).totals.evicted > 1000);
});

test('the same for heartbeats: on a heartbeat port, found by shape elsewhere, either byte order, forced or not', async () => {
  const file = join(dir, 'heartbeats.pcap');
  const w = openCaptureWriter(file, 'pcap', { precision: 'us' });
  const rng = new Rng(9);
  const dword = (v: number, be: boolean) => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v >>> 0, !be);
    return b;
  };
  // Per flow: port, byte order, first value; the last flow is 4-byte noise that never climbs.
  const flows = [
    { sport: 39600, dport: 39601, be: false, seq: 0 },
    { sport: 39601, dport: 39600, be: true, seq: 500 },
    { sport: 40100, dport: 40101, be: true, seq: 7 },
    { sport: 41000, dport: 41001, be: false, seq: 0xfffffff0 },
    { sport: 42000, dport: 42001, be: false, seq: -1 },
  ];
  for (let i = 0; i < 4000; i++) {
    const k = i % flows.length;
    const f = flows[k];
    if (k < 4 && rng.float() < 0.03) continue; // a lost heartbeat now and then
    const value = f.seq < 0 ? rng.u32() : f.seq + Math.floor(i / flows.length);
    const frame = buildUdpFrame({ src: '00:00:00:00:00:01', dst: '00:00:00:00:00:02' },
      { src: `10.9.0.${k + 1}`, dst: `10.9.1.${k + 1}`, dscp: 26 },
      { sport: f.sport, dport: f.dport, payload: dword(value, f.be) });
    w.writePacket(1_700_000_000 + Math.floor(i / 50), (i % 50) * 20_000_000, frame);
  }
  w.close();
  const r = await sameWithAndWithoutLane(file);
  assert.equal(r.heartbeats.streams.length, 4);
  assert.deepEqual(r.heartbeats.streams.map((s) => s.byteOrder).sort(), ['be', 'be', 'le', 'le']);
  assert.equal(r.protocols.mdsHeartbeat, r.heartbeats.streams.reduce((n, s) => n + s.received, 0));
  for (const order of ['le', 'be'] as const) await sameWithAndWithoutLane(file, { heartbeatByteOrder: order });
  await sameWithAndWithoutLane(file, { heartbeatPorts: [40100, 40101] });
});

test('heartbeat flow state evicted from the full flow table starts over', () => {
  // Two flows held: the flow table's eviction is the shape table's only bound.
  const flows = new FlowTable(2);
  const streams = new HeartbeatStreams(flows, undefined);
  const dword = (v: number) => Uint8Array.of(0, 0, 0, v);
  const a = (v: number) => streams.observe(flows.ipv4(17, 0x0a000001, 0x0a000002, 40000, 40001), false, dword(v), 0, v, 0);
  const other = (n: number) => streams.observe(flows.ipv4(17, 0x0a000003 + n, 0x0a000002, 40000, 40001), false, dword(1), 0, 9, 0);
  assert.deepEqual([a(1), a(2), a(3)], [false, false, true], 'promoted after two +1 steps');
  assert.equal(streams.seq, 3);
  assert.equal(a(4), true);
  other(0);
  other(1);
  other(2);
  // Flow A left the table (its second chance spent on other(1), gone at other(2)): its state starts over.
  assert.deepEqual([a(5), a(6), a(7)], [false, false, true]);
});
