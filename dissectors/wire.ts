// What every emitter shares: big-endian (network order) writes and the
// Internet checksum (RFC 1071). Pure, like the decoders beside them.

/** Writes v as a big-endian 16-bit word at off. */
export function writeU16(buf: Uint8Array, off: number, v: number): void {
  buf[off] = (v >> 8) & 0xff;
  buf[off + 1] = v & 0xff;
}

/** Writes v as a big-endian 32-bit word at off. */
export function writeU32(buf: Uint8Array, off: number, v: number): void {
  buf[off] = (v >>> 24) & 0xff;
  buf[off + 1] = (v >>> 16) & 0xff;
  buf[off + 2] = (v >>> 8) & 0xff;
  buf[off + 3] = v & 0xff;
}

/** Big-endian 16-bit word at off. */
export function readU16(b: Uint8Array, off: number): number {
  return (b[off] << 8) | b[off + 1];
}

/** Big-endian 32-bit word at off, unsigned. */
export function readU32(b: Uint8Array, off: number): number {
  return ((b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3]) >>> 0;
}

/** n rounded up to a multiple of 4: options and padded bodies end on a 32-bit word. */
export function pad4(n: number): number {
  return (n + 3) & ~3;
}

/** Adds big-endian 16-bit words of data[start, end) to acc without folding; an odd tail byte is padded with zero. */
export function onesComplementSum(data: Uint8Array, start = 0, end = data.length, acc = 0): number {
  let sum = acc;
  let i = start;
  for (; i + 1 < end; i += 2) sum += (data[i] << 8) | data[i + 1];
  if (i < end) sum += data[i] << 8;
  return sum;
}

/** Folds a running sum to 16 bits and complements it. */
export function finishChecksum(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return ~s & 0xffff;
}

export function internetChecksum(data: Uint8Array, start = 0, end = data.length): number {
  return finishChecksum(onesComplementSum(data, start, end));
}

/** Sum of the TCP/UDP pseudo-header (RFC 768 / RFC 793 for v4, RFC 8200 §8.1 for v6); src and dst are 4 or 16 bytes. */
export function pseudoHeaderSum(src: Uint8Array, dst: Uint8Array, proto: number, l4Length: number): number {
  let sum = onesComplementSum(src) + onesComplementSum(dst) + proto;
  if (src.length === 4) sum += l4Length;
  else sum += Math.floor(l4Length / 0x10000) + (l4Length & 0xffff);
  return sum;
}

/** The source and destination addresses a transport checksum covers (4 bytes each for IPv4, 16 for IPv6). */
export interface PseudoHeader {
  src: Uint8Array;
  dst: Uint8Array;
}
