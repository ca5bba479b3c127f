// One direction of a TCP connection that carries SIP in one of its three
// stream forms, told apart by the first bytes: SIP in the clear (RFC 3261
// 18.3, framed by SipStreamFramer), SIP over TLS (RFC 3261 26.2: a TLS
// handshake record on a SIP port; the records stay sealed, the flow is only
// named), or SIP over WebSocket (RFC 7118: an HTTP Upgrade offering or
// accepting the "sip" subprotocol, then one SIP message per WebSocket
// message, masked from the client).
//
// Chunks handed to push() are views into a buffer the caller reuses: what is
// kept across calls is copied.

import type { SipMessage } from '../../dissectors/types.js';
import { looksLikeSip, parseSipMessage } from '../../dissectors/sip.js';
import { startsTlsHandshake, tlsRecordHeader } from '../../dissectors/tls.js';
import { WS_BINARY, WS_CONTINUATION, WS_TEXT, httpHeadEnd, wsFrameHeader, wsPayload, wsUpgradeOf } from '../../dissectors/websocket.js';
import { SipStreamFramer } from './sip-stream-framer.js';

export type SipTcpApp = 'sip' | 'sip-tls' | 'sip-ws';

/** The IANA port of SIP over TLS (RFC 3261 19.1.2); the plain SIP ports count too. */
export const SIPS_PORT = 5061;
/** Most bytes held for an HTTP head or an unfinished WebSocket message. */
const MAX_HELD = 256 * 1024;
const HTTP_GET = [0x47, 0x45, 0x54, 0x20];
const HTTP_101 = [0x48, 0x54, 0x54, 0x50, 0x2f, 0x31, 0x2e, 0x31, 0x20, 0x31, 0x30, 0x31];

function startsWith(b: Uint8Array, off: number, end: number, prefix: number[]): boolean {
  if (end - off < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (b[off + i] !== prefix[i]) return false;
  return true;
}

/** An HTTP head in `b` (whole within it) that upgrades to WebSocket with the sip subprotocol. */
function sipWebSocketUpgrade(b: Uint8Array, off: number, end: number): boolean {
  if (!startsWith(b, off, end, HTTP_GET) && !startsWith(b, off, end, HTTP_101)) return false;
  const headEnd = httpHeadEnd(b, off, Math.min(end, off + MAX_HELD));
  if (headEnd < 0) return false;
  return wsUpgradeOf(Buffer.from(b.buffer, b.byteOffset + off, headEnd - off).toString('latin1'))?.protocols.includes('sip') ?? false;
}

/**
 * What a direction's bytes from `p` on carry, when they say: SIP, SIP over
 * TLS (only on a SIP port: TLS elsewhere is anything), or SIP over WebSocket;
 * null when they are none of these.
 */
function sipAppOf(p: Uint8Array, tlsPort: boolean): SipTcpApp | null {
  if (p.length === 0) return null;
  if (looksLikeSip(p, 0, p.length)) return 'sip';
  if (tlsPort && (startsTlsHandshake(p, 0, p.length) || tlsRecordHeader(p, 0, p.length) !== null)) return 'sip-tls';
  if (sipWebSocketUpgrade(p, 0, p.length)) return 'sip-ws';
  return null;
}

/**
 * The stream for a direction not followed yet, or null when it is no SIP:
 * on a SIP port (`sipPort`, or 5061) any start opens one, decided on the
 * first payload; elsewhere the payload must start SIP or a SIP WebSocket.
 */
export function openSipTcpStream(p: Uint8Array | null, sipPort: boolean, sport: number, dport: number): SipTcpStream | null {
  const tlsPort = sipPort || sport === SIPS_PORT || dport === SIPS_PORT;
  if (p === null || p.length === 0) return tlsPort ? new SipTcpStream(tlsPort) : null;
  const app = sipAppOf(p, tlsPort);
  if (app === null && !sipPort) return null;
  return new SipTcpStream(tlsPort);
}

export class SipTcpStream {
  /** What the stream carries; null until its first payload byte. */
  app: SipTcpApp | null = null;
  /** WebSocket messages that were not SIP, and bytes dropped (gaps, oversize). */
  wsOtherMessages = 0;
  private framer: SipStreamFramer | null = null;
  private ws: WebSocketSip | null = null;
  private skipped = 0;

  constructor(private readonly tlsPort: boolean) {}

  /** Bytes skipped: not SIP (the clear framer's garbage) or lost in WebSocket framing. */
  get garbageBytes(): number {
    return (this.framer?.garbageBytes ?? 0) + (this.ws?.droppedBytes ?? 0) + this.skipped;
  }

  /** Feed the next in-order bytes; returns the SIP messages they complete. */
  push(chunk: Uint8Array): SipMessage[] {
    if (chunk.length === 0) return [];
    if (this.app === null) {
      // A SIP port's stream that opens with none of the forms is taken as SIP in the clear, as ever.
      this.app = sipAppOf(chunk, this.tlsPort) ?? 'sip';
      if (this.app === 'sip') this.framer = new SipStreamFramer();
      else if (this.app === 'sip-ws') this.ws = new WebSocketSip();
    }
    if (this.framer !== null) return this.framer.push(chunk);
    if (this.ws !== null) return this.ws.push(chunk);
    return [];
  }

  /** Bytes were lost before the next chunk. */
  gap(): void {
    this.framer?.gap();
    this.ws?.gap();
  }
}

/** One direction of a SIP WebSocket: the HTTP head, then frames; each whole text or binary message parsed as one SIP message. */
class WebSocketSip {
  droppedBytes = 0;
  private buf = new Uint8Array(0);
  private len = 0;
  private inHead = true;
  /** A fragmented message's payloads so far. */
  private parts: Uint8Array[] = [];
  private partsLength = 0;
  /** After a gap: frame boundaries are lost for good on this direction. */
  private lost = false;

  push(chunk: Uint8Array): SipMessage[] {
    if (this.lost) {
      this.droppedBytes += chunk.length;
      return [];
    }
    this.append(chunk);
    const out: SipMessage[] = [];
    let pos = 0;
    if (this.inHead) {
      const end = httpHeadEnd(this.buf, 0, this.len);
      if (end < 0) {
        if (this.len > MAX_HELD) this.giveUp();
        return out;
      }
      this.inHead = false;
      pos = end;
    }
    for (;;) {
      const h = wsFrameHeader(this.buf, pos, this.len);
      if (h === null || h.error !== undefined) {
        if (h?.error !== undefined) this.giveUp();
        break;
      }
      const total = h.headerLength + h.payloadLength;
      if (total > MAX_HELD) {
        this.giveUp();
        break;
      }
      if (this.len - pos < total) break;
      const payload = wsPayload(this.buf, pos, h);
      pos += total;
      if (h.opcode !== WS_TEXT && h.opcode !== WS_BINARY && h.opcode !== WS_CONTINUATION) continue;
      this.parts.push(payload);
      this.partsLength += payload.length;
      if (!h.fin) continue;
      const whole = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.partsLength);
      this.parts = [];
      this.partsLength = 0;
      out.push(parseSipMessage(whole, 0, whole.length));
    }
    if (!this.lost) this.consume(pos);
    return out;
  }

  gap(): void {
    this.giveUp();
  }

  private giveUp(): void {
    this.lost = true;
    this.droppedBytes += this.len;
    this.len = 0;
    this.parts = [];
  }

  private append(chunk: Uint8Array): void {
    if (this.len + chunk.length > this.buf.length) {
      const grown = new Uint8Array(Math.max(4096, (this.len + chunk.length) * 2));
      grown.set(this.buf.subarray(0, this.len));
      this.buf = grown;
    }
    this.buf.set(chunk, this.len);
    this.len += chunk.length;
  }

  private consume(n: number): void {
    this.buf.copyWithin(0, n, this.len);
    this.len -= n;
  }
}
