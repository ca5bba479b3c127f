// WebSocket (RFC 6455): the HTTP/1.1 Upgrade handshake that opens a
// connection and the frame header that follows, as SIP over WebSocket
// (RFC 7118) uses them. Pure: bytes in, a typed header out, never throws.

const FIN = 0x80;
const RSV = 0x70;
const OPCODE = 0x0f;
const MASKED = 0x80;
const LEN7 = 0x7f;

export const WS_CONTINUATION = 0x0;
export const WS_TEXT = 0x1;
export const WS_BINARY = 0x2;
export const WS_CLOSE = 0x8;
export const WS_PING = 0x9;
export const WS_PONG = 0xa;

export interface WsFrameHeader {
  fin: boolean;
  opcode: number;
  /** Client-to-server frames are masked (RFC 6455 5.3): the key, else null. */
  mask: Uint8Array | null;
  /** Header bytes before the payload. */
  headerLength: number;
  payloadLength: number;
  /** Set for a header the RFC forbids (reserved bits, unknown opcode, a control frame over 125 bytes or fragmented). */
  error?: string;
}

/** The frame header at `off`; null until enough bytes for it have arrived. */
export function wsFrameHeader(b: Uint8Array, off: number, end: number): WsFrameHeader | null {
  if (end - off < 2) return null;
  const b0 = b[off];
  const b1 = b[off + 1];
  let len = b1 & LEN7;
  let p = off + 2;
  if (len === 126) {
    if (end - p < 2) return null;
    len = (b[p] << 8) | b[p + 1];
    p += 2;
  } else if (len === 127) {
    if (end - p < 8) return null;
    // Beyond 2^53 a length is no real frame: the top bytes are taken as they come and checked below.
    len = 0;
    for (let i = 0; i < 8; i++) len = len * 256 + b[p + i];
    p += 8;
  }
  let mask: Uint8Array | null = null;
  if (b1 & MASKED) {
    if (end - p < 4) return null;
    mask = b.subarray(p, p + 4);
    p += 4;
  }
  const opcode = b0 & OPCODE;
  const h: WsFrameHeader = { fin: (b0 & FIN) !== 0, opcode, mask, headerLength: p - off, payloadLength: len };
  if (b0 & RSV) h.error = 'websocket: reserved bits set';
  else if ((opcode > WS_BINARY && opcode < WS_CLOSE) || opcode > WS_PONG) h.error = `websocket: unknown opcode ${opcode}`;
  else if (opcode >= WS_CLOSE && (len > 125 || !h.fin)) h.error = 'websocket: control frame fragmented or over 125 bytes';
  else if (!Number.isSafeInteger(len)) h.error = 'websocket: payload length beyond 2^53';
  return h;
}

/** The payload unmasked into a new array (a masked frame's bytes read as sent are noise). */
export function wsPayload(b: Uint8Array, off: number, h: WsFrameHeader): Uint8Array {
  const start = off + h.headerLength;
  const out = b.slice(start, start + h.payloadLength);
  if (h.mask !== null) for (let i = 0; i < out.length; i++) out[i] ^= h.mask[i & 3];
  return out;
}

export interface WsUpgrade {
  /** The client's GET (true) or the server's 101 Switching Protocols (false). */
  request: boolean;
  /** Sec-WebSocket-Protocol values, lower-cased ("sip" for RFC 7118). */
  protocols: string[];
}

const CRLFCRLF = [13, 10, 13, 10];

/** Offset just past the blank line ending an HTTP head within `b[off, end)`, or -1. */
export function httpHeadEnd(b: Uint8Array, off: number, end: number): number {
  outer: for (let i = off; i + 4 <= end; i++) {
    for (let k = 0; k < 4; k++) if (b[i + k] !== CRLFCRLF[k]) continue outer;
    return i + 4;
  }
  return -1;
}

/**
 * An HTTP/1.1 head that upgrades to WebSocket: a GET with `Upgrade: websocket`
 * or a `101` answer; null for anything else. `head` is the text up to the blank line.
 */
export function wsUpgradeOf(head: string): WsUpgrade | null {
  const lines = head.split('\r\n');
  const start = lines[0];
  const request = /^GET \S+ HTTP\/1\.1$/.test(start);
  if (!request && !/^HTTP\/1\.1 101\b/.test(start)) return null;
  let upgrade = false;
  const protocols: string[] = [];
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'upgrade' && value.toLowerCase() === 'websocket') upgrade = true;
    else if (name === 'sec-websocket-protocol') for (const p of value.split(',')) if (p.trim()) protocols.push(p.trim().toLowerCase());
  }
  return upgrade ? { request, protocols } : null;
}
