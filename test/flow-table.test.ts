// The pipeline's flow table: one id per flow while it is held, never an id
// of another flow, a bounded table that evicts by CLOCK and says how many, and
// per-flow state (FlowSlots) that never answers for the flow an id was reused for.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlowSlots, FlowTable } from '../src/pipeline/flow-table.js';
import { Rng } from '../src/generator/rng.js';
import { Ipv4Header } from '../dissectors/ipv4.js';
import { decodeIpv6 } from '../dissectors/ipv6.js';
import { buildIpFrame, buildTcpFrame, buildUdpFrame } from '../src/writer/frame-builder.js';
import { decodeFrame } from '../dissectors/frame.js';
import { TCP_SYN, type FrameInfo } from '../dissectors/types.js';

type Flow = [proto: number, src: number, dst: number, sport: number, dport: number];

function randomFlow(rnd: Rng): Flow {
  // Addresses as int32 (10.x and 192.x: positive and negative), ports on both sides of 32768.
  return [rnd.float() < 0.5 ? 17 : 6, (0x0a000000 | rnd.int(0, 0xffff)) | 0, (0xc0a80000 | rnd.int(0, 0xffff)) | 0, rnd.int(1, 65535), rnd.int(1, 65535)];
}

const name = (f: Flow): string => f.join(',');

test('an id names one flow while it is held: interning again gives it back, never another flow\'s', () => {
  const rnd = new Rng(12);
  const pool = Array.from({ length: 6000 }, () => randomFlow(rnd));
  // Room for a third of the pool: ids are evicted and reused all along (backward-shift deletion in the index).
  const flows = new FlowTable(2048);
  const owner = new Map<number, string>();
  const gen = new Map<number, number>();
  for (let step = 0; step < 300_000; step++) {
    const f = pool[rnd.int(0, pool.length - 1)];
    const id = flows.ipv4(...f);
    const was = owner.get(id);
    if (was !== name(f)) {
      // A new flow for this id: its generation moved on.
      assert.notEqual(flows.generation[id], gen.get(id));
      owner.set(id, name(f));
      gen.set(id, flows.generation[id]);
    } else assert.equal(flows.generation[id], gen.get(id), 'a held flow keeps its id and generation');
    const info = flows.info(id);
    assert.equal(info.sport, f[3]);
    assert.equal(info.dport, f[4]);
    assert.equal(info.proto, f[0]);
  }
  assert.ok(flows.stats.evicted > 10_000, `evictions counted (${flows.stats.evicted})`);
  assert.equal(flows.stats.interned - flows.stats.evicted, 2048);
});

test('an IPv4 flow found by its numbers (the packets\' path) is the flow found by its key words, across evictions', () => {
  const rnd = new Rng(7);
  const pool = Array.from({ length: 3000 }, () => randomFlow(rnd));
  const flows = new FlowTable(1024);
  const text = (a: number): string => [a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255, a & 255].join('.');
  for (let step = 0; step < 60_000; step++) {
    const [proto, src, dst, sport, dport] = pool[rnd.int(0, pool.length - 1)];
    const id = flows.ipv4(proto, src, dst, sport, dport);
    // The general path (hash and compare over the probe row) must land on the same slot's id.
    const plain = { version: 4 as const, src: text(src), dst: text(dst), dscp: 0, ecn: 0, ttl: 64, proto, id: 0, fragment: null };
    assert.equal(flows.ofHeader(proto, plain, sport, dport), id);
    const back = flows.reverseOf(id);
    if (back !== -1) assert.equal(flows.ipv4(proto, dst, src, dport, sport), back);
  }
  assert.ok(flows.stats.evicted > 5_000, `evictions counted (${flows.stats.evicted})`);
});

test('a busy flow keeps its id while one-packet flows stream past (CLOCK second chance)', () => {
  const flows = new FlowTable(64);
  const busy = flows.ipv4(17, 0x0a000001, 0x0a000002, 5000, 5002);
  for (let n = 0; n < 10_000; n++) {
    flows.ipv4(6, 0x0b000000 + n, 0x0a000002, 40000, 80);
    assert.equal(flows.ipv4(17, 0x0a000001, 0x0a000002, 5000, 5002), busy);
  }
});

test('FlowSlots forget what they held for an id given to a new flow, after handing it to the analyzer while the id still names it', () => {
  const flows = new FlowTable(4);
  const left: Array<[value: string, sport: number]> = [];
  const slots = new FlowSlots<string>(flows, (value, id) => left.push([value, flows.sport(id)]));
  const a = flows.ipv4(17, 1, 2, 3, 4);
  slots.set(a, 'a');
  assert.equal(slots.get(a), 'a');
  for (let n = 0; n < 8; n++) flows.ipv4(17, 100 + n, 2, 3, 4);
  assert.deepEqual(left, [['a', 3]], 'told once, with the leaving flow still readable');
  const reused = flows.ipv4(17, 200, 2, 3, 4);
  if (reused === a) assert.equal(slots.get(reused), undefined);
  assert.equal(slots.get(flows.ipv4(17, 1, 2, 3, 4)), undefined, 'flow a came back as a new flow');
  assert.deepEqual([...slots.ids()], []);
});

test('every eviction is told to every listener in order, before the id is reused; reverseOf finds the other direction without interning it', () => {
  const flows = new FlowTable(8);
  const told: string[] = [];
  flows.onEvict((id) => told.push(`first ${flows.info(id).key}`));
  flows.onEvict((id) => told.push(`second ${flows.info(id).key}`));
  const ab = flows.ipv4(6, 0x0a000001, 0x0a000002, 40000, 5060);
  assert.equal(flows.reverseOf(ab), -1, 'the other direction not seen yet');
  const interned = flows.stats.interned;
  const ba = flows.ipv4(6, 0x0a000002, 0x0a000001, 5060, 40000);
  assert.equal(flows.stats.interned, interned + 1);
  assert.equal(flows.reverseOf(ab), ba);
  assert.equal(flows.reverseOf(ba), ab);
  assert.equal(flows.stats.interned, interned + 1, 'reverseOf interns nothing');
  assert.equal(flows.reverseOf(flows.ipv4(17, 0x0a000001, 0x0a000002, 40000, 5060)), -1, 'UDP is not the TCP flow\'s reverse');
  for (let n = 0; n < 6; n++) flows.ipv4(17, 0x0b000000 + n, 0x0a000002, 1, 2);
  assert.deepEqual(told, ['first 10.0.0.1:40000>10.0.0.2:5060', 'second 10.0.0.1:40000>10.0.0.2:5060']);
  assert.equal(flows.stats.evicted, 1);
});

test('names: the key every analyzer uses, the reverse and the pair; IPv6 by bytes equals IPv6 by header', () => {
  const flows = new FlowTable();
  const id = flows.ipv4(17, 0x0a000001, 0xc0a80102 | 0, 5060, 5061);
  const info = flows.info(id);
  assert.equal(info.key, '10.0.0.1:5060>192.168.1.2:5061');
  assert.equal(info.reverseKey, '192.168.1.2:5061>10.0.0.1:5060');
  assert.equal(info.pairKey, '10.0.0.1:5060<>192.168.1.2:5061');
  assert.deepEqual(info.id, { key: info.key, src: '10.0.0.1', dst: '192.168.1.2', sport: 5060, dport: 5061 });
  assert.equal(flows.ofHeader(17, new Ipv4Header(0x0a000001, 0xc0a80102 | 0, 0, 0, 64, 17, 0, null), 5060, 5061), id);
  assert.equal(flows.ofHeader(17, { version: 4, src: '10.0.0.1', dst: '192.168.1.2', dscp: 0, ecn: 0, ttl: 64, proto: 17, id: 0, fragment: null }, 5060, 5061), id, 'a plain header by its text');
  assert.notEqual(flows.ipv4(6, 0x0a000001, 0xc0a80102 | 0, 5060, 5061), id, 'TCP is another flow');

  const frame = buildUdpFrame({ src: '00:00:00:00:00:01', dst: '00:00:00:00:00:02' }, { version: 6, src: '2001:db8::1', dst: 'fd00::a:2' }, { sport: 16384, dport: 16386, payload: new Uint8Array(4) });
  const v6 = flows.ipv6(17, frame, 14 + 8, 14 + 24, 16384, 16386);
  assert.equal(flows.info(v6).key, '[2001:db8::1]:16384>[fd00::a:2]:16386');
  assert.equal(flows.ofHeader(17, decodeIpv6(frame, 14, frame.length, false).header!, 16384, 16386), v6);
  assert.equal(flows.ofHeader(17, { version: 6, src: '2001:DB8:0::1', dst: 'fd00::a:2', dscp: 0, ecn: 0, ttl: 64, proto: 17, id: 0, fragment: null }, 16384, 16386), v6);
});

test('a record\'s flow: the pipeline\'s id in its own table, interned from the header in a consumer\'s own table; none for what is not UDP or TCP', () => {
  const eth = { src: '00:00:00:00:00:01', dst: '00:00:00:00:00:02' };
  const ip = { src: '10.0.0.1', dst: '10.0.0.2' };
  const record = (b: Uint8Array) => {
    const info: FrameInfo = { frame: 1, tsSec: 0, tsNsec: 0, caplen: b.length, len: b.length, linkType: 1, iface: 0 };
    return decodeFrame(info, b);
  };
  const udp = record(buildUdpFrame(eth, ip, { sport: 5060, dport: 5061, payload: new Uint8Array(8) }));
  const tcp = record(buildTcpFrame(eth, ip, { sport: 40000, dport: 2748, seq: 1, ack: 0, flags: TCP_SYN, window: 1024 }));
  const icmp = record(buildIpFrame(eth, ip, 1, Uint8Array.of(8, 0, 0, 0, 0, 0, 0, 0)));
  const own = new FlowTable(16);
  const u = own.recordFlow(udp, true);
  const t = own.recordFlow(tcp, true);
  assert.equal(u, own.ipv4(17, 0x0a000001, 0x0a000002, 5060, 5061));
  assert.equal(t, own.ipv4(6, 0x0a000001, 0x0a000002, 40000, 2748));
  assert.notEqual(u, t);
  assert.equal(own.recordFlow(icmp, true), -1);
  // The pipeline's table: the id the pipeline set, looked up nowhere.
  udp.flow = 7;
  assert.equal(new FlowTable(16).recordFlow(udp, false), 7);
  assert.equal(own.stats.interned, 2);
});
