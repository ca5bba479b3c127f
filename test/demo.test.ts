// `analyze` on the bundled demo capture gives the facts its generator wrote
// down in captures/demo.md (which the writer's tests check against tshark).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, runCli } from './helpers.js';

interface DemoHeartbeat { src: string; dst: string; sport: number; dport: number; byteOrder: string; firstSeq: number; lastSeq: number; received: number; lost: number; restarts: unknown[] }
interface DemoFacts {
  packets: number;
  ipv6Frames: number;
  firstPacketEpoch: string;
  lastPacketEpoch: string;
  dscpByApp: Record<string, Record<string, number>>;
  heartbeats: DemoHeartbeat[];
  sip: { messages: number; requests: Record<string, number>; responses: Record<string, number> };
}

const md = readFileSync(join(REPO, 'captures', 'demo.md'), 'utf8');
const facts = JSON.parse(/```json\n([\s\S]*?)```/.exec(md)![1]) as DemoFacts;

test('analyze captures/demo.pcap matches demo.md', () => {
  const r = runCli(['analyze', '--json', join(REPO, 'captures', 'demo.pcap')]);
  assert.equal(r.status, 0, r.stderr);
  const rep = JSON.parse(r.stdout).files[0];
  assert.equal(rep.capture.packets, facts.packets);
  assert.equal(rep.capture.first, Number(facts.firstPacketEpoch));
  assert.equal(rep.capture.last, Number(facts.lastPacketEpoch));
  assert.equal(rep.protocols.ipv6, facts.ipv6Frames);
  assert.equal(rep.protocols.tcpRst, 1);
  assert.deepEqual(rep.sip.requests, facts.sip.requests);
  assert.deepEqual(rep.sip.responses, facts.sip.responses);
  assert.equal(rep.sip.messages, facts.sip.messages);
  assert.deepEqual(rep.dscp['mds-heartbeat'], facts.dscpByApp['mds-heartbeat']);
  assert.deepEqual(rep.dscp.rtp, facts.dscpByApp.rtp);
  const streams = new Map(rep.heartbeats.streams.map((s: { src: string; sport: number }) => [`${s.src}:${s.sport}`, s]));
  assert.equal(streams.size, facts.heartbeats.length);
  for (const want of facts.heartbeats) {
    const got = streams.get(`${want.src}:${want.sport}`) as Record<string, unknown>;
    assert.ok(got, `${want.src}:${want.sport}`);
    for (const k of ['dst', 'dport', 'byteOrder', 'firstSeq', 'lastSeq', 'received', 'lost'] as const) assert.equal(got[k], want[k], `${want.src}:${want.sport} ${k}`);
    assert.equal(got.restarts, want.restarts.length);
  }
});

test('the README\'s first command works on the demo: text report names the streams', () => {
  const r = runCli(['analyze', join(REPO, 'captures', 'demo.pcap')]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /10\.10\.2\.11:39601>10\.10\.1\.11:39600\s+le\s+119993\s+120592\s+595\s+5/);
  assert.match(r.stdout, /rtp\s+EF\(46\)×1397 CS0\(0\)×199/);
});
