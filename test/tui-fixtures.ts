// A fixed live snapshot for the terminal UI tests, built by hand: two
// heartbeat pairs (one direction FAILED after 7 misses, one MISSING 2, one
// RESTARTED, one OK), three calls (ringing, failed 486, completed), a failing
// keepalive pair, DSCP flows with one violation, and events newest first with
// a failover 3 s before the snapshot. One call's From header, Call-ID and an
// event carry terminal escape sequences, to prove they are drawn harmless.

import type { DscpVerdict, FlowAudit } from '../src/dscp/audit.js';
import type { HeartbeatDirection, LiveEvent, LiveSnapshot } from '../src/live/view-model.js';
import type { CallFlow, FlowMessage } from '../src/sip/call-flow.js';
import type { CallRecord, CallState } from '../src/sip/dialogs.js';
import type { KeepalivePair } from '../src/sip/keepalives.js';
import type { RtpStreamReport } from '../src/media/analyzer.js';

/** 2026-03-02T09:00:00Z, the capture's start. */
export const T0 = Date.UTC(2026, 2, 2, 9, 0, 0) / 1000;
export const NOW = T0 + 60;

/** What the escape sequences try to do: colour the screen red and set the window title. */
export const EVIL = '\u001b[31mEVIL\u001b]0;title\u0007';
export const EVIL_CALL_ID = `evil-${EVIL}@10.30.0.166`;

/** 100 ms heartbeats with capture jitter, and gaps where `gaps` says (index -> ms). */
function intervals(n: number, gaps: Record<number, number> = {}): number[] {
  return Array.from({ length: n }, (_, i) => gaps[i] ?? 100 + ((i * 37) % 7) / 2 - 1.5);
}

function direction(src: string, sport: number, dst: string, dport: number, d: Partial<HeartbeatDirection>): HeartbeatDirection {
  return {
    stream: `${src}:${sport}>${dst}:${dport}`, src, dst, sport, dport,
    lastSeq: 0, lastHeard: NOW - 0.05, lastIntervalMs: 100.1, recentMs: intervals(40), misses: 0, state: 'ok',
    received: 600, lost: 0, failovers: 0, restarts: 0, ...d,
  };
}

function call(callId: string, state: CallState, start: number, c: Partial<CallRecord>): CallRecord {
  return {
    callId, fromTag: `tag-${callId.slice(0, 6)}`, toTag: null, from: 'sip:1001@10.30.0.101', to: 'sip:2001@10.20.0.10',
    caller: '10.30.0.101:5060', start, state, code: null, setupMs: null, pddMs: null, ringMs: null, durationMs: null,
    answered: null, ended: null, byeFrom: null, midDialog: false, messages: 1, retransmissions: 0,
    hosts: ['10.30.0.101:5060', '10.20.0.10:5060'], media: [], dscp: { 24: 1 }, ackMs: null, noAck: null, ...c,
  };
}

function keepalive(requester: string, responder: string, k: Partial<KeepalivePair>): KeepalivePair {
  return {
    requester, responder, requests: 12, retransmissions: 0, answered: 12, failedCodes: {}, failed: 0, timeouts: 0, unanswered: 0, givenUp: 0,
    answeredRatio: 1, intervalMs: { p50: 5000, max: 5003.2 }, responseMs: { p50: 1.2, max: 2.5 }, first: T0 + 1, last: T0 + 56,
    lastAnswered: T0 + 56, longestGapMs: 5003.2, longestGapFrom: T0 + 6, longestGapTo: T0 + 11, unhealthy: false, ...k,
  };
}

function flow(key: string, app: string | null, cls: string, expected: number[], observed: Record<number, number>, verdict: DscpVerdict, f: Partial<FlowAudit> = {}): FlowAudit {
  const packets = Object.values(observed).reduce((a, b) => a + b, 0);
  return {
    flow: key, transport: 'udp', app, class: cls, rule: 0, expected, accepted: [], observed, packets,
    offPolicy: verdict === 'violation' ? packets : 0, alternative: 0, mixed: Object.keys(observed).length > 1, verdict,
    ecn: { ect0: 0, ect1: 0, ce: 0 }, reverse: null, asymmetric: false, first: T0 + 1, last: NOW - 1, ...f,
  };
}

function event(at: number, kind: LiveEvent['kind'], severity: LiveEvent['severity'], subject: string, text: string): LiveEvent {
  return { time: T0 + at, kind, severity, subject, text };
}

/** A G.711 stream with the figures the media pane shows; MOS null: not scored. */
function rtpStream(src: string, sport: number, dst: string, dport: number, mos: number | null, lossPercent: number, jitter: number, dscp: number, callId: string | null): RtpStreamReport {
  const flowKey = `${src}:${sport}>${dst}:${dport}`;
  return {
    key: `${flowKey}#0x0000ABCD`, flow: flowKey, src, sport, dst, dport, ssrc: '0x0000ABCD', packets: 1000, expected: 1000, lost: Math.round(lossPercent * 10),
    lossPercent, duplicates: 0, outOfOrder: 0, seqErrors: 0, wraps: 0, gapRuns: 0, longestGap: 0, gaps: [], events: { packets: 0, repeatedEnds: 0 },
    firstSeq: 1, lastSeq: 1000, first: T0 + 10, last: T0 + 30, deltaMs: { min: 19.9, mean: 20, max: 20.1 },
    jitterMs: { mean: jitter, max: jitter * 2, last: jitter }, clockRate: 8000, payloadTypes: [{ pt: 0, name: 'PCMU', packets: 1000 }], ptChanges: 0, markers: 1,
    dscp: { [dscp]: 1000 }, ecn: { notEct: 1000, ect1: 0, ect0: 0, ce: 0 }, late: 0, timestampsBehindFirst: 0, rtcp: null,
    quality: mos === null ? null : {
      codec: 'PCMU', ie: 0, bpl: 4.3, source: 'G.113', networkLossPercent: lossPercent, latePercent: 0, effectiveLossPercent: lossPercent, burstR: 1,
      jitterBufferMs: 60, delayMs: 80, delayBasis: 'none', id: 0.5, ieEff: 0, rFactor: 90, mos,
    },
    callId, sdp: null,
  };
}

export function fixtureSnapshot(): LiveSnapshot {
  return {
    source: { kind: 'interface', name: 'eth1', filter: 'udp or tcp port 5060' },
    now: NOW,
    elapsedSec: 3725.4,
    packets: 123456,
    pps: 412.6,
    drops: { kernelDrops: 17, interfaceDrops: null },
    errors: 3,
    heartbeatIntervalMs: 100,
    heartbeats: [
      {
        pair: '10.10.1.11 <> 10.10.2.11',
        directions: [
          direction('10.10.1.11', 39600, '10.10.2.11', 39601, { lastSeq: 120599, lastIntervalMs: 100.2 }),
          direction('10.10.2.11', 39601, '10.10.1.11', 39600, {
            lastSeq: 120292, lastHeard: NOW - 0.8, lastIntervalMs: 99.6, recentMs: intervals(40), misses: 7, state: 'failed',
            received: 593, lost: 7, failovers: 1,
          }),
        ],
      },
      {
        pair: '10.10.1.21 <> 10.10.2.21',
        directions: [
          direction('10.10.1.21', 39700, '10.10.2.21', 39701, {
            lastSeq: 52204, lastHeard: NOW - 0.25, lastIntervalMs: 500.3, recentMs: intervals(40, { 30: 500.3 }), misses: 2, state: 'missing',
            received: 596, lost: 4,
          }),
          direction('10.10.2.21', 39701, '10.10.1.21', 39700, { lastSeq: 149, lastIntervalMs: 100.4, state: 'restarted', restarts: 1 }),
        ],
      },
    ],
    calls: [
      call('ring-3@10.30.0.103', 'ringing', T0 + 55.25, { from: 'sip:1003@10.30.0.103', to: 'sip:2003@10.20.0.10', messages: 3, pddMs: 85.5 }),
      call(EVIL_CALL_ID, 'failed', T0 + 40.125, { from: `"${EVIL}" <sip:6666@10.30.0.166>`, to: 'sip:2002@10.20.0.10', code: 486, messages: 5 }),
      call('done-1@10.30.0.101', 'completed', T0 + 10.5, { code: 200, setupMs: 152.4, durationMs: 20000, messages: 7 }),
    ],
    keepalives: [
      keepalive('10.20.0.10:5060', '10.20.0.11:5060', {}),
      keepalive('10.20.0.10:5060', '10.20.0.12:5060', {
        answered: 7, failed: 3, failedCodes: { 503: 3 }, timeouts: 2, answeredRatio: 7 / 12, lastAnswered: T0 + 31,
        longestGapMs: 25000, unhealthy: true,
      }),
    ],
    dscp: [
      flow('10.30.0.102:16384>10.30.0.101:16386', 'rtp-audio', 'voice', [46], { 0: 199 }, 'violation', {
        reverse: { flow: '10.30.0.101:16386>10.30.0.102:16384', dscp: 46 }, asymmetric: true,
      }),
      flow('10.10.1.11:50732>10.10.2.11:39610', null, 'mds', [26], { 26: 49, 24: 10 }, 'accepted', { transport: 'tcp', accepted: [24], alternative: 10 }),
      flow('10.30.0.101:16386>10.30.0.102:16384', 'rtp-audio', 'voice', [46], { 46: 201 }, 'ok', {
        reverse: { flow: '10.30.0.102:16384>10.30.0.101:16386', dscp: 0 }, asymmetric: true,
      }),
      flow('10.10.1.11:39600>10.10.2.11:39601', 'mds-heartbeat', 'mds', [26], { 26: 600 }, 'ok'),
      flow('10.30.0.101:5060>10.20.0.10:5060', 'sip', 'signalling', [24], { 24: 62 }, 'ok'),
    ],
    dscpTotals: {
      flows: 5, packets: 1121, violation: 1, accepted: 1, unclassified: 0, ok: 3, mixed: 1, asymmetricConversations: 1,
      evicted: 0, notAudited: 0, healthCheckFlows: 0, ecn: { ect0: 0, ect1: 0, ce: 0 },
    },
    media: {
      streams: [
        rtpStream('10.30.0.102', 16384, '10.30.0.101', 16386, 3.8, 5.2, 12.5, 0, 'done-1@10.30.0.101'),
        rtpStream('10.30.0.101', 16386, '10.30.0.102', 16384, 4.41, 0, 0.8, 46, 'done-1@10.30.0.101'),
        rtpStream('10.40.0.5', 5004, '10.40.0.6', 5004, null, 0, 1.1, 34, null),
      ],
      totals: { streams: 3, packets: 3000, lost: 52, evicted: 0, holesForgotten: 0 },
      // As the media analyzer groups the two streams above: the worse direction's MOS, the worst loss and jitter.
      calls: [{
        callId: 'done-1@10.30.0.101', streams: ['10.30.0.102:16384>10.30.0.101:16386#0x0000ABCD', '10.30.0.101:16386>10.30.0.102:16384#0x0000ABCD'],
        worstStream: '10.30.0.102:16384>10.30.0.101:16386#0x0000ABCD', mos: 3.8, rFactor: 90, lossPercent: 5.2, jitterMs: 12.5,
      }],
    },
    cluster: {
      nodes: 4, linksUp: 4, linksTotal: 6,
      linksNotUp: [
        { a: '10.1.0.2', b: '10.1.0.5', state: 'reset', since: T0 + 30, resets: 1 },
        { a: '10.1.0.3', b: EVIL, state: 'missing', since: null, resets: 0 },
      ],
      failingChecks: [{
        checker: '10.2.0.100', target: '10.2.0.12', port: 5060, probes: 12, failed: 6, refused: 6, unanswered: 0, intervalS: 5,
        first: T0, last: T0 + 55, firstFailure: T0 + 30, lastFailure: T0 + 55, failingSince: T0 + 30, dscp: { 0: 48 },
      }],
      multicast: [
        { group: '239.1.1.1', members: 2, streams: 1, silentMembers: 0, unjoinedStreams: 0, unmarkedStreams: 0 },
        { group: '239.1.1.2', members: 1, streams: 0, silentMembers: 1, unjoinedStreams: 0, unmarkedStreams: 0 },
        { group: '239.1.1.9', members: 0, streams: 1, silentMembers: 0, unjoinedStreams: 1, unmarkedStreams: 1 },
      ],
    },
    events: [
      event(58.2, 'keepalive-failing', 'warn', '10.20.0.10:5060>10.20.0.12:5060', '3 failed (503×3), 2 timed out; last answer 09:00:31'),
      event(57.03, 'reset', 'warn', '10.10.1.11:50732>10.10.2.11:39610', 'TCP reset 30.000 ms after the failover'),
      event(57.0, 'failover', 'alarm', '10.10.2.11:39601>10.10.1.11:39600', '10.10.1.11 missed 10.10.2.11:39601 5 times (last seq 120292)'),
      event(45.072, 'restart', 'info', '10.10.2.21:39701>10.10.1.21:39700', 'seq 4750 -> 0 (sender restarted)'),
      event(41.0, 'sip-timeout', 'warn', '10.30.0.166:5060>10.20.0.10:5060', `Call-ID ${EVIL_CALL_ID}: INVITE unanswered`),
      event(30.0, 'dscp-violation', 'warn', '10.30.0.102:16384>10.30.0.101:16386', 'voice expects EF, marked CS0'),
      event(20.02, 'loss', 'warn', '10.10.1.21:39700>10.10.2.21:39701', '4 lost after seq 52199'),
      event(5.5, 'failover', 'alarm', '10.10.1.21:39700>10.10.2.21:39701', 'an older failover, long past'),
    ],
    ended: false,
  };
}

function message(at: number, src: string, dst: string, label: string, cseq: string, sdp: string[] = []): FlowMessage {
  const time = T0 + at;
  const sec = Math.floor(time);
  return {
    ts: { sec, nsec: Math.round((time - sec) * 1e6) * 1000 }, time, frame: Math.round(at * 10), src, dst, transport: 'udp', dscp: 24,
    label, cseq, sdp, retransmission: false, malformed: false,
  };
}

/** Ladders kept by the session: the failed call's (the ringing one's was not kept). */
export function fixtureLadders(): Record<string, CallFlow> {
  const a = '10.30.0.166:5060';
  const b = '10.20.0.10:5060';
  return {
    [EVIL_CALL_ID]: {
      callId: EVIL_CALL_ID,
      hosts: [a, b],
      messages: [
        message(40.125, a, b, 'INVITE', '1 INVITE', ['10.30.0.166:40000 audio 0,8']),
        message(40.126, b, a, '100 Trying', '1 INVITE'),
        ...Array.from({ length: 30 }, (_, i) => message(40.2 + i / 100, b, a, `180 Ringing ${i + 1}`, '1 INVITE')),
        message(41.5, b, a, '486 Busy Here', '1 INVITE'),
        message(41.501, a, b, 'ACK', '1 ACK'),
      ],
      dropped: 0,
    },
  };
}
