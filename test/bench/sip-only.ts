// The SIP-only shape for `npm run bench`: a proxy's signalling and nothing
// else, every Call-ID, tag and branch unique, as a busy SBC sees it —
// answered calls (INVITE with SDP, 100, 180, 200 with SDP, ACK, BYE, 200),
// busy calls (INVITE, 100, 486, ACK) and OPTIONS keepalives between the SBC
// and eight trunks, all over UDP. Written streaming by the project's writer.

import { buildUdpFrame } from '../../src/writer/frame-builder.js';
import { PcapWriter } from '../../src/writer/pcap-writer.js';

export const SBC = '10.20.0.1';
export const TRUNKS = Array.from({ length: 8 }, (_, i) => `10.40.0.${11 + i}`);
const PHONES = 2000;
const enc = new TextEncoder();

/** An audio offer or answer (PCMU, PCMA, telephone-event; 20 ms) on an even `port`. */
export function sdp(addr: string, port: number, id: number): string {
  return ['v=0', `o=- ${id} ${id} IN IP4 ${addr}`, 's=-', `c=IN IP4 ${addr}`, 't=0 0', `m=audio ${port} RTP/AVP 0 8 101`,
    'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16', 'a=ptime:20', 'a=sendrecv', ''].join('\r\n');
}

/** One dialog's side: the phone's address and extension, and its unique Call-ID, tags and branch. */
export interface Leg {
  phone: string;
  ext: number;
  callId: string;
  fromTag: string;
  toTag: string;
  branch: string;
}

export function request(method: string, leg: Leg, cseq: number, branch: string, toTag: boolean, body = ''): string {
  const head = [
    `${method} sip:8${leg.ext}@${SBC}:5060 SIP/2.0`,
    `Via: SIP/2.0/UDP ${leg.phone}:5060;branch=z9hG4bK${branch};rport`,
    'Max-Forwards: 70',
    `From: "Agent ${leg.ext}" <sip:${leg.ext}@${SBC}>;tag=${leg.fromTag}`,
    `To: <sip:8${leg.ext}@${SBC}>${toTag ? `;tag=${leg.toTag}` : ''}`,
    `Call-ID: ${leg.callId}`,
    `CSeq: ${cseq} ${method}`,
    `Contact: <sip:${leg.ext}@${leg.phone}:5060>`,
    'User-Agent: ucprobe-bench/1',
    body ? 'Content-Type: application/sdp' : '',
    `Content-Length: ${enc.encode(body).length}`,
  ].filter(Boolean);
  return `${head.join('\r\n')}\r\n\r\n${body}`;
}

export function response(code: number, reason: string, method: string, leg: Leg, cseq: number, branch: string, toTag: boolean, body = ''): string {
  const head = [
    `SIP/2.0 ${code} ${reason}`,
    `Via: SIP/2.0/UDP ${leg.phone}:5060;branch=z9hG4bK${branch};rport=5060;received=${leg.phone}`,
    `From: "Agent ${leg.ext}" <sip:${leg.ext}@${SBC}>;tag=${leg.fromTag}`,
    `To: <sip:8${leg.ext}@${SBC}>${toTag ? `;tag=${leg.toTag}` : ''}`,
    `Call-ID: ${leg.callId}`,
    `CSeq: ${cseq} ${method}`,
    `Contact: <sip:8${leg.ext}@${SBC}:5060>`,
    'Server: ucprobe-bench-sbc/1',
    body ? 'Content-Type: application/sdp' : '',
    `Content-Length: ${enc.encode(body).length}`,
  ].filter(Boolean);
  return `${head.join('\r\n')}\r\n\r\n${body}`;
}

/** The k-th dialog's leg: a phone among 2,000 and a Call-ID, tags and branch no other k shares. */
export function legOf(k: number): Leg {
  const phone = `10.30.${Math.floor((k % PHONES) / 200)}.${10 + (k % 200)}`;
  return { phone, ext: 2000 + (k % PHONES), callId: `${k.toString(36)}-${(k * 2654435761 >>> 0).toString(16)}@${phone}`, fromTag: `f${k.toString(36)}x`, toTag: `t${(k * 40503 >>> 0).toString(36)}`, branch: `b${k.toString(36)}` };
}

/** Writes `messages` SIP messages (one per datagram) to `path`; returns how many of each method and status. */
export function writeSipOnlyCapture(path: string, messages: number, startSec = 1772442000): Record<string, number> {
  const w = new PcapWriter(path);
  const counts: Record<string, number> = {};
  let n = 0;
  let t = startSec * 1e6;
  let id = 0;
  const put = (src: string, dst: string, text: string, what: string): void => {
    if (n >= messages) return;
    const frame = buildUdpFrame({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }, { src, dst, dscp: 24 }, { sport: 5060, dport: 5060, payload: enc.encode(text) });
    t += 97;
    const s = Math.floor(t / 1e6);
    w.writePacket(s, (t - s * 1e6) * 1000, frame);
    counts[what] = (counts[what] ?? 0) + 1;
    n++;
  };
  while (n < messages) {
    const k = id++;
    const leg = legOf(k);
    const phone = leg.phone;
    if (k % 10 === 9) {
      // An OPTIONS keepalive from the SBC to a trunk and its answer.
      const trunk = TRUNKS[k % TRUNKS.length];
      const ping: Leg = { ...leg, phone: SBC };
      put(SBC, trunk, request('OPTIONS', ping, 1, leg.branch, false), 'OPTIONS');
      put(trunk, SBC, response(200, 'OK', 'OPTIONS', ping, 1, leg.branch, true), '200');
      continue;
    }
    const busy = k % 10 === 4;
    put(phone, SBC, request('INVITE', leg, 1, leg.branch, false, sdp(phone, 16384 + 2 * (k % 8000), k)), 'INVITE');
    put(SBC, phone, response(100, 'Trying', 'INVITE', leg, 1, leg.branch, false), '100');
    if (busy) {
      put(SBC, phone, response(486, 'Busy Here', 'INVITE', leg, 1, leg.branch, true), '486');
      put(phone, SBC, request('ACK', leg, 1, leg.branch, true), 'ACK');
      continue;
    }
    put(SBC, phone, response(180, 'Ringing', 'INVITE', leg, 1, leg.branch, true), '180');
    put(SBC, phone, response(200, 'OK', 'INVITE', leg, 1, leg.branch, true, sdp(SBC, 32768 + 2 * (k % 16000), k)), '200');
    put(phone, SBC, request('ACK', leg, 1, `${leg.branch}a`, true), 'ACK');
    put(phone, SBC, request('BYE', leg, 2, `${leg.branch}b`, true), 'BYE');
    put(SBC, phone, response(200, 'OK', 'BYE', leg, 2, `${leg.branch}b`, true), '200');
  }
  w.close();
  return counts;
}

// As a script: node dist/test/bench/sip-only.js FILE MESSAGES
if (process.argv[1]?.endsWith('sip-only.js') && process.argv[2]) {
  console.log(JSON.stringify(writeSipOnlyCapture(process.argv[2], Number(process.argv[3] ?? 1_000_000))));
}
