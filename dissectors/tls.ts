// TLS record layer header (RFC 8446 5.1, RFC 5246 6.2.1): enough to tell a
// TCP stream that opens with a TLS handshake (SIP over TLS, RFC 3261 26.2)
// from one that carries SIP in the clear. The records themselves stay sealed.

export const TLS_RECORD_HEADER_LEN = 5;
const CONTENT_TYPE = 0;
const VERSION = 1;
const LENGTH = 3;

export const TLS_CHANGE_CIPHER_SPEC = 20;
export const TLS_ALERT = 21;
export const TLS_HANDSHAKE = 22;
export const TLS_APPLICATION_DATA = 23;
/** 2^14 plus the most a cipher may add (RFC 5246 6.2.3). */
const MAX_RECORD_LENGTH = (1 << 14) + 2048;

export interface TlsRecordHeader {
  contentType: number;
  /** Record-layer version: 0x0300 (SSL 3.0) to 0x0304; TLS 1.3 still writes 0x0301 or 0x0303 here. */
  version: number;
  /** Bytes of the record after the header. */
  length: number;
}

/** The record header at `off`, or null when the bytes there are not one (too short, unknown type or version, overlong). */
export function tlsRecordHeader(b: Uint8Array, off: number, end: number): TlsRecordHeader | null {
  if (end - off < TLS_RECORD_HEADER_LEN) return null;
  const contentType = b[off + CONTENT_TYPE];
  const version = (b[off + VERSION] << 8) | b[off + VERSION + 1];
  const length = (b[off + LENGTH] << 8) | b[off + LENGTH + 1];
  if (contentType < TLS_CHANGE_CIPHER_SPEC || contentType > TLS_APPLICATION_DATA) return null;
  if (version < 0x0300 || version > 0x0304 || length === 0 || length > MAX_RECORD_LENGTH) return null;
  return { contentType, version, length };
}

/** A stream's first bytes open a TLS handshake (ClientHello or ServerHello record). */
export function startsTlsHandshake(b: Uint8Array, off: number, end: number): boolean {
  return tlsRecordHeader(b, off, end)?.contentType === TLS_HANDSHAKE;
}
