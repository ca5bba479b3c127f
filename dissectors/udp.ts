// UDP header.

export const UDP_HEADER_LEN = 8;
const SRC_PORT = 0;
const DST_PORT = 2;
const LENGTH = 4;

export interface UdpDecode {
  sport: number;
  dport: number;
  /** Payload start and end (by the UDP length, clipped to what was captured). */
  offset: number;
  end: number;
  error: string | null;
}

export function decodeUdp(b: Uint8Array, off: number, end: number, captureCut: boolean): UdpDecode {
  if (end - off < UDP_HEADER_LEN) {
    return { sport: 0, dport: 0, offset: off, end, error: `udp: ${end - off} bytes, header needs ${UDP_HEADER_LEN}` };
  }
  const sport = (b[off + SRC_PORT] << 8) | b[off + SRC_PORT + 1];
  const dport = (b[off + DST_PORT] << 8) | b[off + DST_PORT + 1];
  const length = (b[off + LENGTH] << 8) | b[off + LENGTH + 1];
  let payloadEnd = off + length;
  let error: string | null = null;
  if (length < UDP_HEADER_LEN) {
    // Length 0 appears on jumbo/offloaded datagrams: take what was captured.
    if (length !== 0) error = `udp: length ${length} < 8`;
    payloadEnd = end;
  } else if (payloadEnd > end) {
    if (!captureCut) error = `udp: length ${length} exceeds ${end - off} bytes of IP payload`;
    payloadEnd = end;
  }
  return { sport, dport, offset: off + UDP_HEADER_LEN, end: payloadEnd, error };
}
