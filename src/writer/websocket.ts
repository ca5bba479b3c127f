// WebSocket frames and the HTTP Upgrade that opens them (RFC 6455), as SIP
// over WebSocket (RFC 7118) sends them: the generator's and the tests' side
// of dissectors/websocket.ts, which reads what this writes.

import { WS_TEXT } from '../../dissectors/websocket.js';

export interface WsFrameSpec {
  /** Default WS_TEXT. */
  opcode?: number;
  /** Default true (the last frame of its message). */
  fin?: boolean;
  /** A client's frame: the 4-byte masking key (RFC 6455 5.3). */
  mask?: Uint8Array;
  payload: Uint8Array;
}

/** One frame: header (7, 16 or 64-bit length), the key when masked, the payload masked with it. */
export function wsFrame(spec: WsFrameSpec): Uint8Array {
  const n = spec.payload.length;
  const lenBytes = n < 126 ? 0 : n < 0x10000 ? 2 : 8;
  const maskLen = spec.mask ? 4 : 0;
  const out = new Uint8Array(2 + lenBytes + maskLen + n);
  out[0] = ((spec.fin ?? true) ? 0x80 : 0) | (spec.opcode ?? WS_TEXT);
  out[1] = (spec.mask ? 0x80 : 0) | (lenBytes === 0 ? n : lenBytes === 2 ? 126 : 127);
  let p = 2;
  if (lenBytes === 2) {
    out[p++] = n >> 8;
    out[p++] = n & 0xff;
  } else if (lenBytes === 8) {
    for (let i = 7; i >= 0; i--) out[p++] = Math.floor(n / 2 ** (8 * i)) & 0xff;
  }
  if (spec.mask) {
    out.set(spec.mask, p);
    p += 4;
  }
  out.set(spec.payload, p);
  if (spec.mask) for (let i = 0; i < n; i++) out[p + i] ^= spec.mask[i & 3];
  return out;
}

/** The client's Upgrade request offering the sip subprotocol (RFC 7118 4.1). */
export function wsUpgradeRequest(host: string, path = '/', key = 'dGhlIHNhbXBsZSBub25jZQ=='): string {
  return [`GET ${path} HTTP/1.1`, `Host: ${host}`, 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Key: ${key}`,
    'Origin: http://www.example.com', 'Sec-WebSocket-Protocol: sip', 'Sec-WebSocket-Version: 13', '', ''].join('\r\n');
}

/** The server's 101 accepting it (the accept value is RFC 6455 1.3's for the default key). */
export function wsUpgradeResponse(accept = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo='): string {
  return ['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${accept}`,
    'Sec-WebSocket-Protocol: sip', '', ''].join('\r\n');
}
