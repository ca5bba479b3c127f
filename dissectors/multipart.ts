// MIME multipart bodies (RFC 2046 5.1), as SIP carries them: SIP-I and SIP-T
// trunks send an INVITE's SDP beside an ISUP part (RFC 3204), and some
// endpoints wrap SDP in multipart/mixed or multipart/alternative. Only what
// finding a part by its type needs. Pure; never throws.

import { Buffer } from 'node:buffer';

const CR = 0x0d;
const LF = 0x0a;
const DASH = 0x2d;
/** multipart/alternative inside multipart/mixed is as deep as SIP goes. */
const MAX_DEPTH = 3;
const MAX_BOUNDARY = 70; // RFC 2046: 1 to 70 characters

/** The media type of a Content-Type value, without parameters, lower case: "application/SDP ; charset=x" -> "application/sdp". */
export function mediaType(contentType: string): string {
  const semi = contentType.indexOf(';');
  return (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

/** The boundary parameter of a multipart Content-Type value, or null (absent, empty or too long). */
export function multipartBoundary(contentType: string): string | null {
  const m = /;\s*boundary\s*=\s*(?:"([^"]*)"|([^;\s]+))/i.exec(contentType);
  const b = m === null ? '' : (m[1] ?? m[2]);
  return b.length > 0 && b.length <= MAX_BOUNDARY ? b : null;
}

/**
 * The content of the first part of type `mediaType` (lowercase, e.g.
 * "application/sdp") in a multipart body with this boundary, looking into
 * nested multiparts; null when there is none or the body is malformed.
 */
export function findPart(body: Uint8Array, boundary: string, mediaType: string, depth = 0): Uint8Array | null {
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const delim = Buffer.from(`--${boundary}`, 'latin1');
  let at = delimiterAt(buf, delim, 0);
  while (at >= 0) {
    const after = at + delim.length;
    // "--boundary--" closes the body.
    if (buf[after] === DASH && buf[after + 1] === DASH) return null;
    const eol = buf.indexOf(LF, after);
    if (eol < 0) return null;
    const start = eol + 1;
    const next = delimiterAt(buf, delim, start);
    if (next < 0) return null;
    // The line break before a delimiter belongs to the delimiter.
    let end = next > start && buf[next - 1] === LF ? next - 1 : next;
    if (end > start && buf[end - 1] === CR) end--;
    const part = partOf(buf, start, end);
    if (part.type === mediaType) return buf.subarray(part.contentStart, end);
    if (part.boundary !== null && depth + 1 < MAX_DEPTH) {
      const inner = findPart(buf.subarray(part.contentStart, end), part.boundary, mediaType, depth + 1);
      if (inner !== null) return inner;
    }
    at = next;
  }
  return null;
}

/** The next "--boundary" at the start of a line from `from`, or -1. */
function delimiterAt(buf: Buffer, delim: Buffer, from: number): number {
  let i = buf.indexOf(delim, from);
  while (i > 0 && buf[i - 1] !== LF) i = buf.indexOf(delim, i + 1);
  return i;
}

/** A part's Content-Type (default text/plain), its boundary when multipart, and where its content starts. */
function partOf(buf: Buffer, start: number, end: number): { type: string; boundary: string | null; contentStart: number } {
  let type = 'text/plain';
  let boundary: string | null = null;
  let p = start;
  while (p < end) {
    let eol = buf.indexOf(LF, p);
    if (eol < 0 || eol > end) eol = end;
    const line = buf.toString('latin1', p, eol > p && buf[eol - 1] === CR ? eol - 1 : eol);
    p = eol + 1;
    if (line.length === 0) return { type, boundary, contentStart: Math.min(p, end) };
    const colon = line.indexOf(':');
    if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === 'content-type') {
      const value = line.slice(colon + 1);
      type = mediaType(value);
      boundary = type.startsWith('multipart/') ? multipartBoundary(value) : null;
    }
  }
  // Headers with no empty line after them: a part without content.
  return { type, boundary, contentStart: end };
}
