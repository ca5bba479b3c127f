// The scripted media capture the media tests read: one stream per
// impairment, each with the figures it must give.

import { dtmfEvent, drop, duplicate, jitter, plan, range, swapAfter, writeMediaCapture, type PlannedPacket, type SipCall, type StreamSpec } from './media-fixtures.js';
import { Rng } from '../src/generator/rng.js';

export interface Expected {
  packets: number;
  lost: number;
  duplicates?: number;
  outOfOrder?: number;
  wraps?: number;
  repeatedEnds?: number;
}

export interface Scenario {
  name: string;
  stream: StreamSpec;
  expected: Expected;
}

const A = '10.40.0.1';
const B = '10.40.0.2';

function stream(n: number, packets: PlannedPacket[], src = A, dst = B): StreamSpec {
  return { src, dst, sport: 20000 + 2 * n, dport: 30000 + 2 * n, packets };
}

export function scenarios(): Scenario[] {
  const out: Scenario[] = [];
  const add = (name: string, packets: PlannedPacket[], expected: Expected, src?: string, dst?: string): void => {
    out.push({ name, stream: stream(out.length, packets, src, dst), expected });
  };
  add('clean', plan({ count: 500, ssrc: 0x1001 }), { packets: 500, lost: 0 });
  const rng = new Rng(21);
  const randomDrops = range(1, 498).filter(() => rng.float() < 0.03);
  add('random loss', drop(plan({ count: 500, ssrc: 0x1002 }), randomDrops), { packets: 500 - randomDrops.length, lost: randomDrops.length });
  add('bursts', drop(plan({ count: 500, ssrc: 0x1003 }), [...range(200, 20), ...range(400, 5)]), { packets: 475, lost: 25 });
  const reordered = plan({ count: 500, ssrc: 0x1004 });
  for (const i of [50, 120, 121 + 60, 300, 450]) swapAfter(reordered, i);
  add('reordering', reordered, { packets: 500, lost: 0, outOfOrder: 5 });
  const dups = plan({ count: 500, ssrc: 0x1005 });
  for (const i of [10, 100, 200, 201, 350]) duplicate(dups, i);
  add('duplicates', dups, { packets: 505, lost: 0, duplicates: 5 });
  const jittery = plan({ count: 500, ssrc: 0x1006 });
  jitter(jittery, 15, 6);
  add('jitter 0-15 ms', jittery, { packets: 500, lost: 0 });
  add('sequence wrap', plan({ count: 400, ssrc: 0x1007, seq: 65_400 }), { packets: 400, lost: 0, wraps: 1 });
  const jump = plan({ count: 400, ssrc: 0x1008 });
  for (const p of jump.slice(200)) p.ts = (p.ts + 80_000) >>> 0;
  add('timestamp jump', jump, { packets: 400, lost: 0 });
  add('G.729 with loss', drop(plan({ count: 300, ssrc: 0x1009, pt: 18, payloadBytes: 20 }), [7, 8, 9]), { packets: 297, lost: 3 });
  const remarked = plan({ count: 300, ssrc: 0x100a, pt: 8 });
  for (const p of remarked.slice(150)) {
    p.dscp = 0;
    p.ecn = 2;
  }
  add('PCMA remarked mid-call', remarked, { packets: 300, lost: 0 });
  add('IPv6 with loss', drop(plan({ count: 300, ssrc: 0x100b }), range(100, 4)), { packets: 296, lost: 4 }, '2001:db8::1', '2001:db8::2');
  return out;
}

/** A call whose SSRC changes mid-call on the same 5-tuple, and an Opus call with DTMF (RFC 4733), both announced by SDP. */
export function calls(): { streams: Array<{ name: string; stream: StreamSpec; expected: Expected }>; calls: SipCall[] } {
  const C = '10.50.0.1';
  const D = '10.50.0.2';
  const before = plan({ count: 200, ssrc: 0x2001, start: 1 });
  const after = plan({ count: 200, ssrc: 0x2002, start: 5, seq: 40_000, ts: 9_000_000 });
  const opus = plan({ count: 300, ssrc: 0x3001, start: 1, pt: 111, clockRate: 48_000, payloadBytes: 60 });
  // The event stops the voice for 0.2 s (packets 100..109 are not sent) and shares its numbers.
  const voice = [...opus.slice(0, 100), ...opus.slice(110).map((p) => ({ ...p, seq: (p.seq - 6) & 0xffff }))];
  const dtmf = dtmfEvent(opus[100].t, opus[100].seq, opus[100].ts, 0x3001, 101, 5, 4);
  const ssrcChange: StreamSpec = { src: C, dst: D, sport: 16_500, dport: 26_500, packets: [...before, ...after] };
  const opusDtmf: StreamSpec = { src: D, dst: C, sport: 26_600, dport: 16_600, packets: [...voice, ...dtmf] };
  return {
    streams: [
      { name: 'SSRC change (before)', stream: { ...ssrcChange, packets: before }, expected: { packets: 200, lost: 0 } },
      { name: 'SSRC change (after)', stream: { ...ssrcChange, packets: after }, expected: { packets: 200, lost: 0 } },
      { name: 'Opus with RFC 4733 DTMF', stream: opusDtmf, expected: { packets: 296, lost: 0, repeatedEnds: 2 } },
    ],
    calls: [
      {
        callId: 'ssrc-change@10.50.0.1', at: 0.5,
        offer: { from: C, to: D, sport: 5060, sdp: { address: C, port: 16_600, payloadTypes: [111, 101], rtpmap: { 111: 'opus/48000/2' } } },
        answer: { sdp: { address: D, port: 26_500, payloadTypes: [0, 101] } },
      },
    ],
  };
}

export function writeScenarioCapture(path: string): { all: Array<{ name: string; stream: StreamSpec; expected: Expected }> } {
  const s = scenarios();
  const c = calls();
  const [before, after, opus] = c.streams;
  // The SSRC change is one 5-tuple: written as one stream of both SSRCs' packets.
  const ssrcChange = { ...before.stream, packets: [...before.stream.packets, ...after.stream.packets] };
  writeMediaCapture(path, [...s.map((x) => x.stream), ssrcChange, opus.stream], c.calls);
  return { all: [...s, ...c.streams] };
}
