// HEP in and out: the HEPv3/v2 decoder on bytes (truncated, absurd, random),
// the encoder (decode(encode(x)) = x), the heartbeat-event chunk, the sink
// against the pipeline and `analyze`, the sender and listener on 127.0.0.1
// (UDP, TCP, reconnect, bounded queue, bad packets), and the CLI: dissect,
// replay and live with --hep / --hep-listen, end to end.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  decodeHep, hep3PacketLength, HEP_CHUNK, HEP_PROTO_TYPE, type HepRecord,
} from '../dissectors/hep.js';
import { parseSipMessage, sipSummary } from '../dissectors/sip.js';
import type { PacketRecord } from '../dissectors/types.js';
import { encodeHep, HepEncodeError, type HepMessage } from '../src/hep/encode.js';
import {
  decodeHeartbeatChunk, encodeHeartbeatChunk, HB_EVENT_BODY_LEN, HB_EVENT_CHUNK_TYPE, heartbeatChunkFields, heartbeatEventHep, parseFlowKey, UCPROBE_HEP_VENDOR,
} from '../src/hep/heartbeat-chunk.js';
import { hepSummaryLine, openHepSender, parseHepUrl } from '../src/hep/sender.js';
import { HepSink } from '../src/hep/sink.js';
import { parseHepListen, startHepListener } from '../src/sources/hep-listen.js';
import { readCapture } from '../src/sources/capture-reader.js';
import { Pipeline } from '../src/pipeline/pipeline.js';
import { analyzeFile } from '../src/analysis/analyze.js';
import type { HeartbeatEvent } from '../src/heartbeat/events.js';
import { CORPUS, REPO, hasCorpus, needsCorpus, decodeAll, sleep, waitFor } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'ucprobe-hep-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const DEMO = join(REPO, 'captures', 'demo.pcap');
const CLI = join(REPO, 'bin', 'ucprobe.js');
const corpus = (f: string): string => join(CORPUS, f);
const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));

// ---------------------------------------------------------------- decoder on bytes

/** A HEPv3 packet written out by hand from the specification, not by our encoder. */
const HAND_MADE = Uint8Array.from([
  0x48, 0x45, 0x50, 0x33, 0x00, 0x66, // "HEP3", total 102
  0x00, 0x00, 0x00, 0x01, 0x00, 0x07, 0x02, // family AF_INET
  0x00, 0x00, 0x00, 0x02, 0x00, 0x07, 0x11, // protocol UDP
  0x00, 0x00, 0x00, 0x03, 0x00, 0x0a, 10, 20, 0, 10, // src 10.20.0.10
  0x00, 0x00, 0x00, 0x04, 0x00, 0x0a, 10, 20, 0, 20, // dst 10.20.0.20
  0x00, 0x00, 0x00, 0x07, 0x00, 0x08, 0x13, 0xc4, // sport 5060
  0x00, 0x00, 0x00, 0x08, 0x00, 0x08, 0x13, 0xc6, // dport 5062
  0x00, 0x00, 0x00, 0x09, 0x00, 0x0a, 0x69, 0xa5, 0x51, 0x92, // 1772442002
  0x00, 0x00, 0x00, 0x0a, 0x00, 0x0a, 0x00, 0x07, 0xa1, 0x20, // 500000 us
  0x00, 0x00, 0x00, 0x0b, 0x00, 0x07, 0x01, // SIP
  0x00, 0x00, 0x00, 0x0c, 0x00, 0x0a, 0x00, 0x00, 0x07, 0xd2, // capture id 2002
  0x00, 0x00, 0x00, 0x0f, 0x00, 0x09, 0x41, 0x43, 0x4b, // payload "ACK"
]);

test('a hand-made HEPv3 packet decodes field by field', () => {
  const h = decodeHep(HAND_MADE, 0, HAND_MADE.length);
  assert.equal(h.error, null);
  assert.equal(h.version, 3);
  assert.equal(h.length, 102);
  assert.deepEqual(
    [h.ipFamily, h.ipProto, h.src, h.dst, h.sport, h.dport, h.tsSec, h.tsUsec, h.protoType, h.captureId, h.authKey, h.correlationId],
    [4, 17, '10.20.0.10', '10.20.0.20', 5060, 5062, 1772442002, 500000, 1, 2002, null, null],
  );
  assert.equal(Buffer.from(h.payload!).toString(), 'ACK');
  // The payload is a view into the input, not a copy.
  assert.equal(h.payload!.buffer, HAND_MADE.buffer);
  assert.equal(hep3PacketLength(HAND_MADE, 0, HAND_MADE.length), 102);
});

test('the encoder writes exactly the hand-made bytes', () => {
  const m: HepMessage = {
    ipFamily: 4, ipProto: 17, src: '10.20.0.10', dst: '10.20.0.20', sport: 5060, dport: 5062,
    tsSec: 1772442002, tsUsec: 500000, protoType: HEP_PROTO_TYPE.SIP, captureId: 2002, payload: bytes('ACK'),
  };
  assert.deepEqual(encodeHep(m), HAND_MADE);
});

function fieldsOf(h: HepRecord): Omit<HepMessage, 'payload' | 'vendorChunks'> & { payload: string; vendorChunks: Array<{ vendor: number; type: number; data: number[] }> } {
  return {
    ipFamily: h.ipFamily!, ipProto: h.ipProto!, src: h.src!, dst: h.dst!, sport: h.sport!, dport: h.dport!,
    tsSec: h.tsSec!, tsUsec: h.tsUsec!, protoType: h.protoType!, captureId: h.captureId!, authKey: h.authKey, correlationId: h.correlationId,
    ipTos: h.ipTos, payload: Buffer.from(h.payload!).toString('hex'), vendorChunks: h.vendorChunks.map((c) => ({ vendor: c.vendor, type: c.type, data: [...c.data] })),
  };
}

test('decode(encode(x)) = x: IPv4 and IPv6, auth key, correlation id, TOS, vendor chunks', () => {
  const cases: HepMessage[] = [
    { ipFamily: 4, ipProto: 17, src: '192.0.2.1', dst: '198.51.100.7', sport: 5060, dport: 5060, tsSec: 1, tsUsec: 999999, protoType: 1, captureId: 0xffffffff, payload: bytes('OPTIONS sip:a SIP/2.0\r\n\r\n') },
    {
      ipFamily: 6, ipProto: 6, src: 'fd00::10', dst: '2001:db8::1:0:0:1', sport: 40000, dport: 5061, tsSec: 0xfffffffe, tsUsec: 0, protoType: 100, captureId: 7,
      authKey: 'sécret', correlationId: 'abc@host', ipTos: 0x68, vendorChunks: [{ vendor: 0x7563, type: 0x0101, data: Uint8Array.of(1, 2, 3) }], payload: new Uint8Array(0),
    },
  ];
  for (const m of cases) {
    const h = decodeHep(encodeHep(m), 0, Infinity);
    assert.equal(h.error, null);
    const want = { ...m, authKey: m.authKey ?? null, correlationId: m.correlationId ?? null, ipTos: m.ipTos ?? null, payload: Buffer.from(m.payload).toString('hex'), vendorChunks: (m.vendorChunks ?? []).map((c) => ({ vendor: c.vendor, type: c.type, data: [...c.data] })) };
    assert.deepEqual(fieldsOf(h), want);
  }
  fc.assert(
    fc.property(
      fc.record({
        v6: fc.boolean(), a: fc.uint8Array({ minLength: 16, maxLength: 16 }), b: fc.uint8Array({ minLength: 16, maxLength: 16 }),
        sport: fc.integer({ min: 0, max: 65535 }), dport: fc.integer({ min: 0, max: 65535 }), sec: fc.nat({ max: 0xffffffff }), usec: fc.nat({ max: 999999 }),
        proto: fc.nat({ max: 255 }), id: fc.nat({ max: 0xffffffff }), payload: fc.uint8Array({ maxLength: 2000 }), cid: fc.option(fc.string({ minLength: 1, maxLength: 40 })),
      }),
      (r) => {
        const addr = (x: Uint8Array): Uint8Array => (r.v6 ? x : x.subarray(0, 4));
        const m: HepMessage = { ipFamily: r.v6 ? 6 : 4, ipProto: r.proto, src: '', dst: '', sport: r.sport, dport: r.dport, tsSec: r.sec, tsUsec: r.usec, protoType: 1, captureId: r.id, correlationId: r.cid, payload: r.payload };
        // Addresses go in as bytes and must come back as the same bytes.
        const packet = encodeHep({ ...m, src: addr(r.a), dst: addr(r.b) });
        const h = decodeHep(packet, 0, packet.length);
        assert.equal(h.error, null);
        assert.equal(h.length, packet.length);
        assert.deepEqual(Buffer.from(h.payload!), Buffer.from(r.payload));
        assert.equal(h.correlationId, r.cid);
        assert.deepEqual([h.sport, h.dport, h.tsSec, h.tsUsec, h.captureId, h.ipProto], [r.sport, r.dport, r.sec, r.usec, r.id, r.proto]);
        const again = encodeHep({ ...m, src: h.src!, dst: h.dst! });
        assert.deepEqual(again, packet);
      },
    ),
    { numRuns: 300 },
  );
});

test('the encoder refuses what HEPv3 cannot carry, with a HepEncodeError', () => {
  const m: HepMessage = { ipFamily: 4, ipProto: 17, src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 2, tsSec: 0, tsUsec: 0, protoType: 1, captureId: 1, payload: new Uint8Array(65500) };
  assert.throws(() => encodeHep(m), HepEncodeError);
  assert.throws(() => encodeHep({ ...m, payload: new Uint8Array(1), src: 'not-an-address' }), HepEncodeError);
});

test('truncated, absurd and foreign input gives a record with an error, never a throw', () => {
  const cases: Array<[string, Uint8Array, RegExp]> = [
    ['empty', new Uint8Array(0), /too short/],
    ['3 bytes', Uint8Array.of(0x48, 0x45, 0x50), /too short/],
    ['magic only', Uint8Array.of(0x48, 0x45, 0x50, 0x33), /header needs 6/],
    ['total < header', Uint8Array.of(0x48, 0x45, 0x50, 0x33, 0, 3), /shorter than the header/],
    ['not HEP', bytes('INVITE sip:x SIP/2.0\r\n'), /not a HEP packet/],
    ['cut in a chunk header', HAND_MADE.slice(0, 10).map((b, i) => (i === 5 ? 10 : b)), /chunk header needs 6/],
    ['chunk length < 6', Uint8Array.of(0x48, 0x45, 0x50, 0x33, 0, 12, 0, 0, 0, 1, 0, 2), /length 2 \(< 6\)/],
    ['chunk length 0xffff', Uint8Array.of(0x48, 0x45, 0x50, 0x33, 0, 13, 0, 0, 0, 0x0f, 0xff, 0xff, 0x41), /length 65535, 7 bytes left/],
    ['wrong-size port', Uint8Array.of(0x48, 0x45, 0x50, 0x33, 0, 15, 0, 0, 0, 7, 0, 9, 1, 2, 3), /3 data bytes, expected 2/],
    ['unknown family', Uint8Array.of(0x48, 0x45, 0x50, 0x33, 0, 13, 0, 0, 0, 1, 0, 7, 99), /unknown address family 99/],
  ];
  for (const [name, b, re] of cases) {
    const h = decodeHep(b, 0, b.length);
    assert.match(h.error ?? '', re, name);
  }
  // Cut anywhere, a real packet still decodes as far as it goes.
  const full = encodeHep({ ipFamily: 4, ipProto: 17, src: '10.0.0.1', dst: '10.0.0.2', sport: 5060, dport: 5060, tsSec: 5, tsUsec: 6, protoType: 1, captureId: 9, correlationId: 'c', payload: bytes('BYE sip:x SIP/2.0\r\n\r\n') });
  for (let n = 0; n < full.length; n++) {
    const h = decodeHep(full, 0, n);
    assert.notEqual(h.error, null, `cut at ${n}`);
    if (n >= 6 + 7 + 7 + 10) assert.equal(h.src, '10.0.0.1', `cut at ${n}`);
  }
  // A packet followed by the next one (a TCP stream): only its own length is decoded.
  const two = Buffer.concat([full, full]);
  assert.equal(decodeHep(two, 0, two.length).length, full.length);
  assert.equal(decodeHep(two, 0, two.length).error, null);
  // A bad-size chunk is reported, the others still decoded.
  const bad = decodeHep(Uint8Array.of(0x48, 0x45, 0x50, 0x33, 0, 24, 0, 0, 0, 7, 0, 9, 1, 2, 3, 0, 0, 0, 8, 0, 8, 0x13, 0xc4), 0, 23);
  assert.match(bad.error ?? '', /total length 24 exceeds/);
  assert.equal(bad.dport, 5060);
  // Other generic chunks and vendor chunks are kept in order.
  const kept = decodeHep(Uint8Array.of(0x48, 0x45, 0x50, 0x33, 0, 22, 0, 0, 0, 0x12, 0, 8, 0, 42, 0x75, 0x63, 0x01, 0x01, 0, 8, 7, 8), 0, 22);
  assert.equal(kept.error, null);
  assert.deepEqual(kept.otherChunks.map((c) => [c.vendor, c.type, [...c.data]]), [[0, HEP_CHUNK.VLAN, [0, 42]]]);
  assert.deepEqual(kept.vendorChunks.map((c) => [c.vendor, c.type, [...c.data]]), [[0x7563, 0x0101, [7, 8]]]);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), fc.boolean(), (b, magic) => {
      const input = magic && b.length >= 6 ? Uint8Array.from([0x48, 0x45, 0x50, 0x33, ...b.subarray(4)]) : b;
      const h = decodeHep(input, 0, input.length);
      assert.ok(h.length >= 0 && h.length <= input.length);
    }),
    { numRuns: 5000 },
  );
  assert.equal(hep3PacketLength(Uint8Array.of(0x48, 0x45), 0, 2), null);
  assert.equal(hep3PacketLength(bytes('GET / HTTP/1.1'), 0, 14), 0);
});

test('HEPv2 and HEPv1 as sngrep and Kamailio send them (time header in the sender byte order, 12 bytes with padding)', () => {
  const payload = bytes('OPTIONS sip:10.20.0.20:5060 SIP/2.0\r\n\r\n');
  // sngrep eep.send.version 2: hp_v 2, hp_l (garbage), AF_INET, UDP, ports, addresses, tv_sec/tv_usec little-endian, captid, 2 bytes padding.
  const v2 = Buffer.concat([
    Buffer.from('0201021113c413c40a14000a0a140014', 'hex'),
    Buffer.from('9251a56920a10700d207465b', 'hex'),
    payload,
  ]);
  const h = decodeHep(v2, 0, v2.length);
  assert.equal(h.error, null);
  assert.deepEqual([h.version, h.ipFamily, h.ipProto, h.src, h.dst, h.sport, h.dport, h.tsSec, h.tsUsec, h.captureId, h.protoType], [2, 4, 17, '10.20.0.10', '10.20.0.20', 5060, 5060, 1772442002, 500000, 2002, 1]);
  assert.deepEqual(Buffer.from(h.payload!), Buffer.from(payload));
  const v6 = Buffer.concat([Buffer.from('02280a1113c413c4', 'hex'), Buffer.alloc(15), Buffer.from([0x01]), Buffer.alloc(15), Buffer.from([0x02]), Buffer.from('9251a56920a10700d2070000', 'hex'), payload]);
  const h6 = decodeHep(v6, 0, v6.length);
  assert.deepEqual([h6.error, h6.ipFamily, h6.src, h6.dst], [null, 6, '::1', '::2']);
  const v1 = Buffer.concat([Buffer.from('0110021113c413c40a14000a0a140014', 'hex'), payload]);
  const h1 = decodeHep(v1, 0, v1.length);
  assert.deepEqual([h1.error, h1.version, h1.tsSec, h1.src], [null, 1, null, '10.20.0.10']);
  assert.match(decodeHep(v2, 0, 20).error ?? '', /cut short in its time header/);
  assert.match(decodeHep(v2, 0, 12).error ?? '', /cut short in its addresses/);
});

// ---------------------------------------------------------------- heartbeat events

test('the heartbeat-event chunk: every event of demo.pcap round-trips, bad chunks are told apart', async () => {
  const report = await analyzeFile(DEMO);
  const events = report.heartbeats.events;
  assert.deepEqual([...new Set(events.map((e) => e.type))].sort(), ['failover', 'loss', 'recovery', 'reset', 'restart']);
  for (const e of events) {
    const f = heartbeatChunkFields(e);
    const data = encodeHeartbeatChunk(f);
    assert.equal(data.length, HB_EVENT_BODY_LEN);
    assert.deepEqual(decodeHeartbeatChunk(data), f);
    assert.equal(f.tsSec + f.tsUsec / 1e6, Math.round(e.time * 1e6) / 1e6);
    const m = heartbeatEventHep(e, 2002, 'key')!;
    const h = decodeHep(encodeHep(m), 0, Infinity);
    assert.equal(h.error, null);
    assert.equal(h.protoType, HEP_PROTO_TYPE.JSON_LOG);
    assert.deepEqual(JSON.parse(Buffer.from(h.payload!).toString()), { source: 'ucprobe', ...JSON.parse(JSON.stringify(e)) });
    assert.equal(h.vendorChunks[0].vendor, UCPROBE_HEP_VENDOR);
    assert.equal(h.vendorChunks[0].type, HB_EVENT_CHUNK_TYPE);
    assert.equal(h.authKey, 'key');
    if (e.type === 'reset' || e.type === 'unexplained-reset') {
      assert.deepEqual([h.src, h.sport, h.dst, h.dport, h.ipProto], [e.src, e.sport, e.dst, e.dport, 6]);
    } else {
      assert.equal(`${h.src}:${h.sport}>${h.dst}:${h.dport}`, e.stream);
      assert.equal(h.correlationId, e.stream);
      assert.equal(h.ipProto, 17);
    }
  }
  const failover = events.find((e) => e.type === 'failover')!;
  const f = decodeHeartbeatChunk(encodeHeartbeatChunk(heartbeatChunkFields(failover)));
  assert.ok(typeof f !== 'string');
  assert.equal(f.a, 120292);
  assert.equal(f.e, 500000);
  const good = encodeHeartbeatChunk(heartbeatChunkFields(failover));
  assert.match(decodeHeartbeatChunk(good.subarray(0, 31)) as string, /31 bytes/);
  assert.match(decodeHeartbeatChunk(Uint8Array.from([2, ...good.subarray(1)])) as string, /layout version 2/);
  assert.match(decodeHeartbeatChunk(Uint8Array.from([1, 77, ...good.subarray(2)])) as string, /unknown event code 77/);
  assert.deepEqual(parseFlowKey('[fd00::1]:5060>[fd00::2]:5061'), { src: 'fd00::1', sport: 5060, dst: 'fd00::2', dport: 5061 });
  assert.equal(parseFlowKey('nonsense'), null);
});

// ---------------------------------------------------------------- the sink against the pipeline

interface Collected {
  packets: HepRecord[];
  dropped: number;
}

/** The sink in-process over a capture, its packets decoded again. */
async function sinkOver(file: string): Promise<Collected & { records: PacketRecord[] }> {
  const got: Collected = { packets: [], dropped: 0 };
  const sink = new HepSink({ send: (p) => got.packets.push(decodeHep(p, 0, p.length)), dropped: () => got.dropped++ }, { captureId: 2002 });
  const records: PacketRecord[] = [];
  const keep = (r: PacketRecord): void => {
    records.push({ ...r, payload: r.payload && r.transport === 'udp' ? r.payload.slice() : null });
  };
  const pipeline = new Pipeline([keep, sink.add]);
  const facts = await readCapture(file, pipeline.frame);
  sink.finish(facts.lastTs);
  return { ...got, records };
}

/** Every SIP message the pipeline found went out once, with its original bytes (UDP) or its framed bytes (TCP). */
function checkSip(records: PacketRecord[], packets: HepRecord[], label: string): number {
  const sip = packets.filter((h) => h.protoType === HEP_PROTO_TYPE.SIP);
  const want = records.flatMap((r) => (r.sip ?? []).map((m) => ({ r, m })));
  assert.equal(sip.length, want.length, `${label}: SIP messages`);
  want.forEach(({ r, m }, i) => {
    const h = sip[i];
    assert.equal(h.error, null);
    assert.deepEqual([h.src, h.dst, h.sport, h.dport, h.ipProto], [r.ip!.src, r.ip!.dst, r.sport, r.dport, r.ip!.proto], `${label} #${i}`);
    assert.deepEqual([h.tsSec, h.tsUsec], [r.tsSec, Math.floor(r.tsNsec / 1000)]);
    assert.equal(h.correlationId, m.callId);
    assert.equal(h.ipTos, (r.ip!.dscp << 2) | r.ip!.ecn);
    if (r.transport === 'udp') {
      assert.deepEqual(Buffer.from(h.payload!), Buffer.from(r.payload!), `${label} #${i}: the datagram byte for byte`);
    } else {
      const again = parseSipMessage(h.payload!, 0, h.payload!.length);
      assert.equal(h.payload!.length, m.length, `${label} #${i}: framed length`);
      assert.deepEqual([again.callId, again.cseq, sipSummary(again)], [m.callId, m.cseq, sipSummary(m)], `${label} #${i}`);
    }
  });
  return sip.length;
}

test('the sink over demo.pcap: all 125 SIP messages, and the heartbeat events analyze reports', async () => {
  const { packets, records, dropped } = await sinkOver(DEMO);
  assert.equal(dropped, 0);
  assert.equal(checkSip(records, packets, 'demo'), 125);
  const report = await analyzeFile(DEMO);
  const sent = packets.filter((h) => h.protoType === HEP_PROTO_TYPE.JSON_LOG).map((h) => JSON.parse(Buffer.from(h.payload!).toString()) as HeartbeatEvent);
  const key = (e: HeartbeatEvent): string => `${e.type} ${e.time} ${e.stream}`;
  assert.deepEqual(sent.map(key).sort(), report.heartbeats.events.map(key).sort());
  const reset = sent.find((e) => e.type === 'reset');
  assert.ok(reset && reset.type === 'reset');
  assert.equal(reset.delayMs, 30);
});

test('the sink over corpus captures: TCP, IP-in-IP, IPv6 fragments, Linux cooked', { skip: needsCorpus }, async () => {
  const expected: Record<string, number> = {
    'zeek__sip__wireshark.pcap': 81, 'sngrep__ipip.pcap': 4, 'sngrep__ipv6frag.pcap': 32, 'pcapplusplus__sip_resp.pcap': 7, 'ndpi__FAX-Call-t38-CA-TDM-SIP-FB-1.pcap': 92,
  };
  for (const [f, n] of Object.entries(expected)) {
    const { packets, records, dropped } = await sinkOver(corpus(f));
    assert.equal(dropped, 0, f);
    assert.equal(checkSip(records, packets, f), n, f);
  }
});

// ---------------------------------------------------------------- sender and listener on 127.0.0.1

function udpCollector(): Promise<{ port: number; packets: Buffer[]; times: number[]; close(): void }> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    const packets: Buffer[] = [];
    const times: number[] = [];
    s.on('message', (m) => {
      packets.push(m);
      times.push(performance.now());
    });
    s.bind(0, '127.0.0.1', () => resolve({ port: s.address().port, packets, times, close: () => s.close() }));
  });
}

const sample = (i: number): Uint8Array => encodeHep({
  ipFamily: 4, ipProto: 17, src: '10.0.0.1', dst: '10.0.0.2', sport: 5060, dport: 5060, tsSec: 1000 + i, tsUsec: 0, protoType: 1, captureId: 1,
  payload: bytes(`OPTIONS sip:${i}@x SIP/2.0\r\nCall-ID: c${i}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`),
});

test('HEP URLs and listen addresses: what parses and what does not', () => {
  assert.deepEqual(parseHepUrl('udp://127.0.0.1:9060'), { transport: 'udp', host: '127.0.0.1', port: 9060, text: 'udp://127.0.0.1:9060' });
  assert.deepEqual(parseHepUrl('TCP://[::1]:9061'), { transport: 'tcp', host: '::1', port: 9061, text: 'TCP://[::1]:9061' });
  assert.equal(parseHepUrl('homer.example:9060'), null);
  for (const bad of ['udp://host', 'http://h:1', 'udp://h:0', 'udp://h:70000', 'udp://:9060', '']) assert.equal(parseHepUrl(bad), null, bad);
  assert.deepEqual(parseHepListen('udp:0.0.0.0:9060'), { transport: 'udp', host: '0.0.0.0', port: 9060, text: 'udp:0.0.0.0:9060' });
  assert.equal(parseHepListen('tcp:[::]:0')?.host, '::');
  for (const bad of ['udp:9060', 'udp://0.0.0.0:9060', 'sctp:h:1', 'udp:h:99999']) assert.equal(parseHepListen(bad), null, bad);
});

test('UDP sender: every packet arrives, counters add up', async () => {
  const c = await udpCollector();
  const s = await openHepSender(parseHepUrl(`udp://127.0.0.1:${c.port}`)!);
  const sent = Array.from({ length: 200 }, (_, i) => sample(i));
  sent.forEach((p, i) => s.send(p, i % 10 === 0 ? 'event' : 'sip'));
  const counters = await s.close();
  await waitFor(() => c.packets.length === 200);
  c.close();
  assert.deepEqual(counters, { sent: 200, sip: 180, events: 20, bytes: sent.reduce((n, p) => n + p.length, 0), dropped: 0, lastError: null });
  assert.deepEqual(c.packets.map((p) => p.toString('hex')), sent.map((p) => Buffer.from(p).toString('hex')));
});

test('UDP sender: paced to its rate (bursts of 10 ms worth), unpaced with rate 0', async () => {
  for (const [rate, atLeast, atMost] of [[2000, 0.2, 2], [0, 0, 0.2]]) {
    const c = await udpCollector();
    const s = await openHepSender(parseHepUrl(`udp://127.0.0.1:${c.port}`)!, { udpRate: rate });
    const t0 = performance.now();
    for (let i = 0; i < 500; i++) s.send(sample(i), 'sip');
    const counters = await s.close();
    const took = (performance.now() - t0) / 1000;
    await waitFor(() => c.packets.length === 500, rate > 0 ? 5000 : 500);
    c.close();
    assert.equal(counters.sent, 500);
    // Paced, a collector gets all; unpaced, a burst can overflow its socket buffer (why there is a rate).
    if (rate > 0) assert.equal(c.packets.length, 500);
    // 500 packets at 2000/s less the first burst of 20: about 0.24 s.
    assert.ok(took >= atLeast && took <= atMost, `rate ${rate}: ${took.toFixed(3)} s`);
  }
});

test('TCP sender: packets back to back on one stream; after the collector goes away it reconnects and counts', async () => {
  const port = await freeTcpPort();
  const s = await openHepSender(parseHepUrl(`tcp://127.0.0.1:${port}`)!, { closeTimeoutMs: 8000 });
  // Nothing listens yet: packets wait in the queue while the sender retries.
  for (let i = 0; i < 5; i++) s.send(sample(i), 'sip');
  await sleep(300);
  const streams: Buffer[] = [];
  let conns = 0;
  const server = net.createServer((sock) => {
    conns++;
    const me = streams.length;
    streams.push(Buffer.alloc(0));
    sock.on('data', (d: Buffer) => {
      streams[me] = Buffer.concat([streams[me], d]);
      // The first connection drops after its first packets: the sender must come back.
      if (me === 0 && streams[0].length >= 5 * sample(0).length) sock.destroy();
    });
    sock.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  await waitFor(() => streams.length === 1 && streams[0].length >= 5 * sample(0).length);
  await waitFor(() => conns === 1 && streams[0].length > 0, 2000);
  await sleep(200);
  for (let i = 5; i < 10; i++) s.send(sample(i), 'sip');
  const counters = await s.close();
  await new Promise<void>((r) => server.close(() => r()));
  const all = Buffer.concat(streams);
  const got: number[] = [];
  for (let p = 0; p < all.length;) {
    const n = hep3PacketLength(all, p, all.length)!;
    assert.ok(n > 0);
    got.push(decodeHep(all, p, p + n).tsSec! - 1000);
    p += n;
  }
  assert.ok(conns >= 2, `reconnected (${conns} connections)`);
  assert.deepEqual(got, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(counters.sent, 10);
  assert.equal(counters.dropped, 0);
});

test('TCP sender with no collector: the queue is bounded, what is left at close is dropped', async () => {
  const port = await freeTcpPort();
  const s = await openHepSender(parseHepUrl(`tcp://127.0.0.1:${port}`)!, { maxQueue: 4, closeTimeoutMs: 300 });
  for (let i = 0; i < 10; i++) s.send(sample(i), 'sip');
  const c = await s.close();
  assert.deepEqual([c.sent, c.dropped], [0, 10]);
  // The summary says why.
  assert.equal(hepSummaryLine(s.url, c), `HEP: 0 packets (0 SIP, 0 events) sent to tcp://127.0.0.1:${port}, 10 dropped (connection refused)`);
});

async function freeTcpPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

test('listener (UDP): SIP becomes frames the pipeline decodes; bad packets are counted into one warning', async () => {
  const { packets } = await sinkOver(DEMO);
  const encoded = packets.map((h) => encodeHep({
    ipFamily: h.ipFamily!, ipProto: h.ipProto!, src: h.src!, dst: h.dst!, sport: h.sport!, dport: h.dport!, tsSec: h.tsSec!, tsUsec: h.tsUsec!,
    protoType: h.protoType!, captureId: h.captureId!, correlationId: h.correlationId, ipTos: h.ipTos, vendorChunks: h.vendorChunks, payload: h.payload!,
  }));
  const records: PacketRecord[] = [];
  const pipeline = new Pipeline([(r) => records.push({ ...r, payload: null })]);
  const l = await startHepListener(parseHepListen('udp:127.0.0.1:0')!, pipeline.frame);
  const sock = dgram.createSocket('udp4');
  const send = (b: Uint8Array): Promise<void> => new Promise((r) => sock.send(b, l.bound.port, '127.0.0.1', () => r()));
  for (const p of encoded) await send(p);
  await send(bytes('not HEP at all'));
  await send(encoded[0].subarray(0, 40));
  await waitFor(() => l.counters.received === encoded.length + 2);
  await l.stop();
  sock.close();
  assert.deepEqual({ ...l.counters, firstBad: null }, { received: 133, frames: 125, notSip: 6, bad: 2, firstBad: null, noTos: 0 });
  assert.match(l.counters.firstBad!, /not a HEP packet/);
  assert.equal(l.facts.warnings.length, 1);
  assert.match(l.facts.warnings[0], /2 of 133 HEP packets could not be used/);
  const direct = await decodeAll(DEMO);
  const msgs = (rs: PacketRecord[]): string[] => rs.flatMap((r) => (r.sip ?? []).map((m) => `${r.ip!.src}:${r.sport}>${r.ip!.dst}:${r.dport} ${r.tsSec}.${Math.floor(r.tsNsec / 1000)} ${r.ip!.dscp} ${sipSummary(m)} ${m.callId} ${m.length}`));
  assert.deepEqual(msgs(records), msgs(direct.records));
  assert.ok(records.every((r) => r.error === null));
});

test('listener (TCP): HEP split anywhere across segments; SIP over TCP in pieces is reassembled by the pipeline', async () => {
  const text = 'INVITE sip:b@x SIP/2.0\r\nVia: SIP/2.0/TCP 10.0.0.1;branch=z9hG4bK1\r\nCall-ID: split@x\r\nCSeq: 1 INVITE\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@x>\r\nContent-Length: 4\r\n\r\nabcd';
  const whole = bytes(text);
  const piece = (payload: Uint8Array, usec: number): Uint8Array => encodeHep({ ipFamily: 4, ipProto: 6, src: '10.0.0.1', dst: '10.0.0.2', sport: 40000, dport: 5060, tsSec: 2000, tsUsec: usec, protoType: 1, captureId: 3, payload });
  const stream = Buffer.concat([piece(whole.subarray(0, 30), 1), piece(whole.subarray(30), 2), piece(whole, 3)]);
  const records: PacketRecord[] = [];
  const pipeline = new Pipeline([(r) => records.push({ ...r, payload: null })]);
  const l = await startHepListener(parseHepListen('tcp:127.0.0.1:0')!, pipeline.frame);
  const sock = net.connect(l.bound.port, '127.0.0.1');
  await new Promise<void>((r) => sock.once('connect', () => r()));
  for (let p = 0; p < stream.length; p += 7) {
    sock.write(stream.subarray(p, p + 7));
    await sleep(1);
  }
  await waitFor(() => l.counters.frames === 3);
  // Then garbage: the connection is closed and counted once.
  sock.write('GET / HTTP/1.1\r\n\r\n');
  await waitFor(() => l.counters.bad === 1);
  sock.destroy();
  await l.stop();
  const msgs = records.flatMap((r) => r.sip ?? []);
  assert.deepEqual(msgs.map((m) => [m.callId, m.length]), [['split@x', whole.length], ['split@x', whole.length]]);
  // These HEP packets carry no IP TOS chunk: their DSCP is unknown, and a warning says so.
  assert.equal(l.facts.warnings.length, 2);
  assert.match(l.facts.warnings[0], /3 of 3 packets came without the IP TOS chunk .*not audited/);
  assert.match(l.facts.warnings[1], /not HEPv3 at byte 0; connection closed/);
});

test('listener: an address in use is one clear error', async () => {
  const c = await udpCollector();
  await assert.rejects(startHepListener(parseHepListen(`udp:127.0.0.1:${c.port}`)!, () => undefined), /^CaptureError: --hep-listen udp:127\.0\.0\.1:\d+: cannot listen: address in use$/);
  c.close();
});

// ---------------------------------------------------------------- the CLI end to end

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function startCli(args: string[]): { child: ChildProcessWithoutNullStreams; done: Promise<Run>; stderrSoFar(): string } {
  const child = spawn(process.execPath, [CLI, ...args]);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Run>((r) => child.once('exit', (status) => r({ status, stdout, stderr })));
  return { child, done, stderrSoFar: () => stderr };
}

const runCliAsync = (args: string[]): Promise<Run> => startCli(args).done;

test('dissect --hep: the SIP messages of demo.pcap and a corpus capture, byte for byte, and demo\'s heartbeat events', async () => {
  const files = [DEMO, ...(hasCorpus ? [corpus('sngrep__ipv6frag.pcap'), corpus('sngrep__ipip.pcap')] : [])];
  for (const f of files) {
    const c = await udpCollector();
    const r = await runCliAsync(['dissect', f, '--hep', `udp://127.0.0.1:${c.port}`, '--hep-id', '4242', '--hep-password', 'pw']);
    assert.equal(r.status, 0, r.stderr);
    const { packets: want, records } = await sinkOver(f);
    const line = /^HEP: (\d+) packets \((\d+) SIP, (\d+) events\) sent to udp:\/\/127\.0\.0\.1:\d+, 0 dropped$/m.exec(r.stderr);
    assert.ok(line, r.stderr);
    assert.equal(Number(line[1]), want.length);
    await waitFor(() => c.packets.length >= want.length);
    c.close();
    const got = c.packets.map((p) => decodeHep(p, 0, p.length));
    assert.equal(got.length, want.length, f);
    assert.ok(got.every((h) => h.captureId === 4242 && h.authKey === 'pw' && h.error === null));
    checkSip(records, got, f);
    if (f === DEMO) {
      const events = got.filter((h) => h.protoType === HEP_PROTO_TYPE.JSON_LOG);
      assert.equal(Number(line[3]), events.length);
      const failover = events.find((h) => JSON.parse(Buffer.from(h.payload!).toString()).type === 'failover');
      assert.ok(failover, 'the failover of demo.pcap arrives');
      assert.deepEqual([failover.src, failover.sport, failover.dst, failover.dport, failover.correlationId], ['10.10.2.11', 39601, '10.10.1.11', 39600, '10.10.2.11:39601>10.10.1.11:39600']);
      const chunk = decodeHeartbeatChunk(failover.vendorChunks[0].data);
      assert.ok(typeof chunk !== 'string');
      assert.deepEqual([chunk.type, chunk.tsSec, chunk.tsUsec, chunk.a], ['failover', failover.tsSec, failover.tsUsec, 120292]);
    }
  }
});

test('dissect -c N --hep sends only the first N packets\' SIP, and no silence after them counts as loss', async () => {
  const c = await udpCollector();
  const { records } = await decodeAll(DEMO);
  const firstSip = records.find((r) => r.sip)!.frame;
  const n = firstSip + 40;
  const r = await runCliAsync(['dissect', DEMO, '-c', String(n), '--hep', `udp://127.0.0.1:${c.port}`]);
  assert.equal(r.status, 0, r.stderr);
  const want = records.filter((x) => x.frame <= n).reduce((k, x) => k + (x.sip?.length ?? 0), 0);
  assert.ok(want > 0);
  assert.match(r.stderr, new RegExp(`^HEP: ${want} packets \\(${want} SIP, 0 events\\)`, 'm'));
  await waitFor(() => c.packets.length >= want);
  await sleep(200);
  c.close();
  assert.equal(c.packets.length, want);
});

test('--hep mistakes are one line and exit 2', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['dissect', DEMO, '--hep', 'udp://nowhere'], /^ucprobe: --hep: expected udp:\/\/host:port or tcp:\/\/host:port/],
    [['dissect', DEMO, '--hep-id', '7'], /^ucprobe: --hep-id, --hep-password and --hep-rate need --hep URL/],
    [['dissect', DEMO, '--hep', 'udp://127.0.0.1:9', '--hep-rate', 'fast'], /^ucprobe: --hep-rate: expected packets per second/],
    [['dissect', DEMO, '--hep', 'tcp://127.0.0.1:9', '--hep-rate', '100'], /^ucprobe: --hep-rate paces UDP/],
    [['dissect', DEMO, '--hep', 'udp://127.0.0.1:9', '--hep-id', 'x'], /^ucprobe: --hep-id: expected a whole number/],
    [['dissect', DEMO, '--hep', 'udp://no-such-host.invalid:9060'], /^ucprobe: --hep udp:\/\/no-such-host\.invalid:9060: cannot resolve/],
    [['replay', DEMO], /^ucprobe: required option '--to <host:port>' not specified \(or --hep URL, or --list\)/],
    [['replay', DEMO, '--hep', 'udp://127.0.0.1:9', '--dscp', 'EF'], /need --to/],
    [['live'], /^ucprobe: required option '-i, --interface <name>' not specified \(or --hep-listen/],
    [['live', '-i', 'lo', '--hep-listen', 'udp:127.0.0.1:0'], /^ucprobe: -i and --hep-listen are two sources: pick one/],
    [['live', '--hep-listen', 'udp:9060'], /^ucprobe: --hep-listen: expected udp:ADDR:PORT or tcp:ADDR:PORT/],
    [['live', '--hep-listen', 'udp:127.0.0.1:0', '-f', 'udp'], /apply to -i only/],
  ];
  for (const [args, re] of cases) {
    const r = await runCliAsync(args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  }
});

/** Start `live --hep-listen`, wait for the port it bound. */
async function liveListening(args: string[]): Promise<{ port: number; child: ChildProcessWithoutNullStreams; done: Promise<Run> }> {
  const run = startCli(['live', ...args]);
  await waitFor(() => /listening for HEP on \w+:127\.0\.0\.1:\d+/.test(run.stderrSoFar()), 10_000);
  const m = /listening for HEP on \w+:127\.0\.0\.1:(\d+)/.exec(run.stderrSoFar());
  assert.ok(m, run.stderrSoFar());
  return { port: Number(m[1]), child: run.child, done: run.done };
}

test('live --hep-listen (UDP and TCP) fed by dissect --hep: the same SIP as the file, written with -w', { timeout: 60_000 }, async () => {
  const direct = await decodeAll(DEMO);
  const count = (rs: PacketRecord[]): number => rs.reduce((n, r) => n + (r.sip?.length ?? 0), 0);
  for (const transport of ['udp', 'tcp']) {
    const out = join(tmp, `listen-${transport}.pcapng`);
    const live = await liveListening(['--hep-listen', `${transport}:127.0.0.1:0`, '--json', '-w', out]);
    const d = await runCliAsync(['dissect', DEMO, '--hep', `${transport}://127.0.0.1:${live.port}`]);
    assert.equal(d.status, 0, d.stderr);
    await sleep(500);
    live.child.kill('SIGTERM');
    const r = await live.done;
    assert.equal(r.status, 0, r.stderr);
    const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { type: string; packets: number; calls: number };
    assert.equal(summary.type, 'summary');
    assert.equal(summary.packets, 125, transport);
    const written = await decodeAll(out);
    assert.equal(count(written.records), count(direct.records), transport);
    assert.equal(count(written.records), 125);
    const report = await analyzeFile(DEMO);
    assert.equal(summary.calls, report.sipAnalysis.calls.calls.length);
    // The sender's heartbeat events (HEP logs with ucprobe's chunk) are shown as the agent's.
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; kind?: string; text?: string; time?: number });
    const failover = report.heartbeats.events.find((e) => e.type === 'failover')!;
    const agent = events.filter((e) => e.type === 'event' && e.kind === 'failover');
    assert.equal(agent.length, 1, transport);
    assert.match(agent[0].text!, /^agent 2002 10\.10\.2\.11: 10\.10\.1\.11 missed 5 heartbeats in a row from 10\.10\.2\.11 \(last seq 120292/);
    assert.equal(agent[0].time, failover.time);
  }
});

test('live --hep relays: agents -> live --hep-listen --hep -> a collector gets every SIP message byte for byte, and the events live finds', { timeout: 60_000 }, async () => {
  const c = await udpCollector();
  const live = await liveListening(['--hep-listen', 'udp:127.0.0.1:0', '--json', '--hep', `udp://127.0.0.1:${c.port}`, '--hep-id', '7']);
  const d = await runCliAsync(['dissect', DEMO, '--hep', `udp://127.0.0.1:${live.port}`]);
  assert.equal(d.status, 0, d.stderr);
  await sleep(500);
  live.child.kill('SIGTERM');
  const r = await live.done;
  assert.equal(r.status, 0, r.stderr);
  const line = /^HEP: (\d+) packets \((\d+) SIP, (\d+) events\) sent to udp:\/\/127\.0\.0\.1:\d+, 0 dropped$/m.exec(r.stderr);
  assert.ok(line, r.stderr);
  await waitFor(() => c.packets.length >= Number(line[1]));
  c.close();
  const got = c.packets.map((p) => decodeHep(p, 0, p.length));
  assert.ok(got.every((h) => h.captureId === 7 && h.error === null));
  const { records } = await sinkOver(DEMO);
  assert.equal(checkSip(records, got, 'relayed'), 125);
  assert.equal(Number(line[2]), 125);
});

test('replay --hep without --to: the capture as HEP on its own timing (--speed 60), original timestamps', { timeout: 30_000 }, async () => {
  const c = await udpCollector();
  const t0 = performance.now();
  const r = await runCliAsync(['replay', DEMO, '--hep', `udp://127.0.0.1:${c.port}`, '--speed', '60']);
  const took = (performance.now() - t0) / 1000;
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /^HEP: 131 packets \(125 SIP, 6 events\) sent to udp:\/\/127\.0\.0\.1:\d+, 0 dropped$/m);
  await waitFor(() => c.packets.length === 131);
  c.close();
  // 59.97 s of capture at 60x: about a second between the first and the last SIP message.
  const spread = (c.times.at(-1)! - c.times[0]) / 1000;
  assert.ok(spread > 0.7 && took < 15, `spread ${spread.toFixed(2)} s, took ${took.toFixed(2)} s`);
  const { packets: want } = await sinkOver(DEMO);
  const got = c.packets.map((p) => decodeHep(p, 0, p.length));
  const key = (h: HepRecord): string => `${h.protoType} ${h.tsSec}.${h.tsUsec} ${h.src}:${h.sport}>${h.dst}:${h.dport} ${Buffer.from(h.payload!).toString('hex')}`;
  assert.deepEqual(got.map(key).sort(), want.map(key).sort());
});
