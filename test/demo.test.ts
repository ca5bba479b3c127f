// `analyze` on the bundled demo capture gives the facts its generator wrote
// down in captures/demo.md (which the writer's tests check against tshark).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, runCli } from './helpers.js';

import type { DemoFacts } from '../captures/make-captures.js';

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
    const got = streams.get(`${want.src}:${want.sport}`) as Record<string, unknown> | undefined;
    assert.ok(got, `${want.src}:${want.sport}`);
    if (!got) continue;
    for (const k of ['dst', 'dport', 'byteOrder', 'firstSeq', 'lastSeq', 'received', 'lost'] as const) assert.equal(got[k], want[k], `${want.src}:${want.sport} ${k}`);
    assert.equal(got.restarts, want.restarts.length);
  }
  // The story's failover: five misses noticed by pair 1's A, the 5th deadline, and its reset 30 ms later.
  const events = rep.heartbeats.events as Array<Record<string, unknown> & { type: string; time: number }>;
  const failovers = events.filter((e) => e.type === 'failover');
  assert.equal(failovers.length, facts.failovers.length);
  for (const [i, want] of facts.failovers.entries()) {
    const got = failovers[i] as unknown as { time: number; lastHeard: number; noticedBy: string; reset: { time: number; delayMs: number } };
    assert.equal(got.time, Number(want.fifthMissDeadlineEpoch));
    assert.equal(got.lastHeard, Number(want.lastHeardEpoch));
    assert.equal(`(${got.noticedBy})`, /\(.*\)/.exec(want.noticedBy)?.[0]);
    assert.equal(got.reset.time, Number(want.rstEpoch));
    assert.equal(got.reset.delayMs, 30);
  }
  // Every gap in the facts is one loss event of that many misses; only five or more fail over.
  const gaps = facts.heartbeats
    .flatMap((h) => h.gaps.map((g) => ({ ...g, stream: `${h.src}:${h.sport}>${h.dst}:${h.dport}` })))
    .sort((a, b) => Number(a.lastBeforeEpoch) - Number(b.lastBeforeEpoch));
  const losses = events.filter((e) => e.type === 'loss');
  assert.deepEqual(
    losses.map((e) => [e.stream, e.afterSeq, e.nextSeq, e.lost, e.misses]),
    gaps.map((g) => [g.stream, g.afterSeq, g.nextSeq, g.missing, g.missing]),
  );
  assert.equal(events.filter((e) => e.type === 'restart').length, facts.heartbeats.reduce((n, h) => n + h.restarts.length, 0));
  assert.equal(rep.heartbeats.totals.unexplainedResets, 0);
  assert.equal(rep.heartbeats.totals.failoversWithoutReset, 0);
});

test('the README\'s first command works on the demo: text report names the streams', () => {
  const r = runCli(['analyze', join(REPO, 'captures', 'demo.pcap')]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /10\.10\.2\.11:39601>10\.10\.1\.11:39600\s+le\s+119993\.\.120592\s+595\s+5\s+1\s+5/);
  assert.match(r.stdout, /failover\s+10\.10\.1\.11 missed 10\.10\.2\.11:39601 .*reset 30\.000 ms later/);
  assert.match(r.stdout, /asymmetric: loss B->A only/);
  assert.match(r.stdout, /rtp\s+EF\(46\)×1397 CS0\(0\)×199/);
});
