// A capture of calls whose media the call lists must show, written by the
// project's writer: each call's two directions announced by SDP, one call
// clean, one with a burst of loss, one with arrival jitter past the 60 ms
// jitter buffer, one with random loss under a Call-ID that carries a
// terminal escape sequence, one announced with no media sent, and a stream
// no call announced.

import { drop, jitter, plan, range, writeMediaCapture, type PlannedPacket, type SipCall, type StreamSpec } from './media-fixtures.js';
import { Rng } from '../src/generator/rng.js';

/** Colours the terminal red if drawn unescaped. */
export const EVIL_MEDIA_CALL_ID = 'evil-\u001b[31m@10.60.0.9';

export const MEDIA_CALL_IDS = ['clean@10.60.0.1', 'burst@10.60.0.3', 'jitter@10.60.0.5', EVIL_MEDIA_CALL_ID] as const;
export const SILENT_CALL_ID = 'silent@10.60.0.7';

interface Leg {
  callId: string;
  caller: string;
  callee: string;
  /** The caller's packets, then the callee's, damaged as the call's script says. */
  toCallee: PlannedPacket[];
  toCaller: PlannedPacket[];
}

function legs(): Leg[] {
  const rng = new Rng(60);
  const clean = (ssrc: number): PlannedPacket[] => plan({ count: 500, ssrc, start: 1 });
  const jittery = clean(0x4006);
  jitter(jittery, 90, 61);
  return [
    { callId: MEDIA_CALL_IDS[0], caller: '10.60.0.1', callee: '10.60.0.2', toCallee: clean(0x4001), toCaller: clean(0x4002) },
    { callId: MEDIA_CALL_IDS[1], caller: '10.60.0.3', callee: '10.60.0.4', toCallee: drop(clean(0x4003), range(200, 20)), toCaller: clean(0x4004) },
    { callId: MEDIA_CALL_IDS[2], caller: '10.60.0.5', callee: '10.60.0.6', toCallee: clean(0x4005), toCaller: jittery },
    { callId: MEDIA_CALL_IDS[3], caller: '10.60.0.9', callee: '10.60.0.10', toCallee: clean(0x4007), toCaller: drop(clean(0x4008), range(1, 498).filter(() => rng.float() < 0.03)) },
  ];
}

const CALLER_PORT = 16_000;
const CALLEE_PORT = 26_000;

export function writeCallMediaCapture(path: string): void {
  const streams: StreamSpec[] = [];
  const calls: SipCall[] = [];
  for (const [i, l] of legs().entries()) {
    calls.push({
      callId: l.callId, at: 0.2 + i * 0.01, branch: `z9hG4bKcall${i}`,
      offer: { from: l.caller, to: l.callee, sport: 5060, sdp: { address: l.caller, port: CALLER_PORT, payloadTypes: [0] } },
      answer: { sdp: { address: l.callee, port: CALLEE_PORT, payloadTypes: [0] } },
    });
    streams.push({ src: l.caller, dst: l.callee, sport: CALLER_PORT, dport: CALLEE_PORT, packets: l.toCallee });
    streams.push({ src: l.callee, dst: l.caller, sport: CALLEE_PORT, dport: CALLER_PORT, packets: l.toCaller });
  }
  calls.push({
    callId: SILENT_CALL_ID, at: 0.3, branch: 'z9hG4bKsilent',
    offer: { from: '10.60.0.7', to: '10.60.0.8', sport: 5060, sdp: { address: '10.60.0.7', port: CALLER_PORT, payloadTypes: [0] } },
    answer: { sdp: { address: '10.60.0.8', port: CALLEE_PORT, payloadTypes: [0] } },
  });
  streams.push({ src: '10.60.1.1', dst: '10.60.1.2', sport: 40_000, dport: 40_002, packets: plan({ count: 300, ssrc: 0x4100, start: 2 }) });
  writeMediaCapture(path, streams, calls);
}
