// TCP header: ports, sequence numbers, flags (a failover shows as RST).

import type { TcpHeader } from './types.js';

export const TCP_MIN_HEADER_LEN = 20;
const SEQ = 4;
const ACK = 8;
const DATA_OFFSET = 12;
const FLAGS = 13;
const WINDOW = 14;

export interface TcpDecode {
  sport: number;
  dport: number;
  header: TcpHeader | null;
  offset: number;
  error: string | null;
}

function u32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

export function decodeTcp(b: Uint8Array, off: number, end: number): TcpDecode {
  const avail = end - off;
  if (avail < 4) return { sport: 0, dport: 0, header: null, offset: off, error: `tcp: ${avail} bytes, header needs ${TCP_MIN_HEADER_LEN}` };
  const sport = (b[off] << 8) | b[off + 1];
  const dport = (b[off + 2] << 8) | b[off + 3];
  if (avail < TCP_MIN_HEADER_LEN) {
    return { sport, dport, header: null, offset: off, error: `tcp: ${avail} bytes, header needs ${TCP_MIN_HEADER_LEN}` };
  }
  const headerLength = (b[off + DATA_OFFSET] >> 4) * 4;
  const header: TcpHeader = {
    seq: u32(b, off + SEQ),
    ack: u32(b, off + ACK),
    flags: ((b[off + DATA_OFFSET] & 1) << 8) | b[off + FLAGS],
    window: (b[off + WINDOW] << 8) | b[off + WINDOW + 1],
    headerLength,
  };
  if (headerLength < TCP_MIN_HEADER_LEN) {
    return { sport, dport, header, offset: end, error: `tcp: data offset ${headerLength} < 20` };
  }
  if (headerLength > avail) {
    return { sport, dport, header, offset: end, error: `tcp: header length ${headerLength} exceeds ${avail} bytes` };
  }
  return { sport, dport, header, offset: off + headerLength, error: null };
}

const FLAG_LETTERS: Array<[number, string]> = [[0x02, 'S'], [0x01, 'F'], [0x04, 'R'], [0x08, 'P'], [0x20, 'U'], [0x40, 'E'], [0x80, 'W'], [0x10, '.']];

/** tcpdump-style flag string, e.g. "S.", "R", "P.". */
export function tcpFlagString(flags: number): string {
  let s = '';
  for (const [bit, letter] of FLAG_LETTERS) if (flags & bit) s += letter;
  return s || 'none';
}
