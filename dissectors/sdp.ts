// SDP (RFC 4566 / RFC 8866) session descriptions, as carried in SIP bodies.
// Only what ucprobe needs to tie RTP to a call: the origin, the connection
// addresses, the media lines and their rtpmap attributes. Pure; never throws.

import { Buffer } from 'node:buffer';
import type { SdpMedia, SdpRecord } from './types.js';
import { sparseRecord } from '../src/common/sparse-record.js';
import { detach } from '../src/common/detach.js';
import { byShape, constantIn, digitsValue, type ConstantTable } from './text-values.js';

const CR = 0x0d;
const SP = 0x20;
const EQ = 0x3d;
const TYPE_V = 0x76; // v=
const TYPE_O = 0x6f; // o=
const TYPE_C = 0x63; // c=
const TYPE_M = 0x6d; // m=
const TYPE_A = 0x61; // a=

const RTPMAP = 'rtpmap:';
const MAX_PORT = 65535;
const MAX_PT = 127;

/** Parse an SDP body held in bytes (decoded as UTF-8). */
export function parseSdpBytes(b: Uint8Array, off: number, end: number): SdpRecord {
  const s = Math.max(0, off | 0);
  const e = Math.min(b.length, end | 0);
  if (e <= s) return parseSdp('');
  const buf = Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  return parseSdp(buf.toString('utf8', s, e));
}

/** Parse an SDP body. Lines may end in CRLF or bare LF (RFC 8866 5 asks receivers to accept both). */
export function parseSdp(text: string): SdpRecord {
  return parseSdpIn(text, 0, text.length);
}

/**
 * Parse the SDP body text[start..end) where it stands (a SIP message's body
 * in the message's text): no copy of the body is made, and only the values
 * the record keeps are sliced. Names and encodings most SDP carries are
 * constants; other encodings are copies, as the SDP endpoint table keeps
 * them past the message.
 */
export function parseSdpIn(text: string, start: number, end: number): SdpRecord {
  let address: string | null = null;
  let origin: string | null = null;
  let mediaCount = 0;
  let errors: string[] | null = null;
  let sawVersion = false;
  let cur: SdpMedia | null = null;
  // Attributes after a bad m= line belong to no media we report.
  let inBadMedia = false;
  mapLines = 0;
  let i = start;
  while (i < end) {
    let j = text.indexOf('\n', i);
    if (j < 0 || j > end) j = end;
    let e = j;
    if (e > i && text.charCodeAt(e - 1) === CR) e--;
    if (e - i >= 2 && text.charCodeAt(i + 1) === EQ) {
      // The value is text[v..e); read in place, never sliced whole.
      const v = i + 2;
      switch (text.charCodeAt(i)) {
        case TYPE_V:
          sawVersion = true;
          break;
        case TYPE_O:
          if (cur === null && !inBadMedia && origin === null) origin = trimmed(text, v, e);
          break;
        case TYPE_C: {
          const addr = connectionAddress(text, v, e);
          if (addr === null) {
            errors = pushError(errors, `unparsable c= line "${clip(text.slice(v, e))}"`);
          } else if (inBadMedia) {
            // belongs to a media line we could not parse
          } else if (cur !== null) {
            // RFC 8866 5.7: several c= lines per media are for layered multicast; the first is the base.
            if (cur.address === null) cur.address = addr;
          } else if (address === null) {
            address = addr;
          }
          break;
        }
        case TYPE_M: {
          if (cur !== null) cur.rtpmap = rtpmapRead();
          const m = mediaLine(text, v, e);
          if (m === null) {
            errors = pushError(errors, `unparsable m= line "${clip(text.slice(v, e))}"`);
            cur = null;
            inBadMedia = true;
          } else {
            mediaRead[mediaCount++] = m;
            cur = m;
            inBadMedia = false;
          }
          break;
        }
        case TYPE_A:
          if (cur !== null && e - v > RTPMAP.length && text.startsWith(RTPMAP, v)) rtpmap(text, v + RTPMAP.length, e);
          break;
        default:
          break;
      }
    }
    i = j + 1;
  }
  if (cur !== null) cur.rtpmap = rtpmapRead();
  // Arrays of their exact size: a list grown by push() starts at 17 slots.
  const rec: SdpRecord = { address, origin, media: mediaRead.slice(0, mediaCount) };
  for (const m of rec.media) if (m.address === null) m.address = address;
  if (!sawVersion) (errors ??= []).unshift('no v= line');
  if (errors !== null) rec.error = errors.join('; ');
  return rec;
}

/** The media lines of the body being read, and the payload types of the m= line being read: overwritten, never emptied. */
const mediaRead: SdpMedia[] = [];
const payloadTypesRead: number[] = [];

/**
 * The SP-separated fields of the value being read, each trimmed, as (start,
 * end) pairs: what s.split(' ') gives with the empty ones left out, each
 * trim()med. Overwritten by each line, never emptied (see fieldsIn).
 */
const spans: number[] = [];

/** Fills `spans` with the fields of s[start..end); returns how many. */
function fieldsIn(s: string, start: number, end: number): number {
  let n = 0;
  let i = start;
  while (i < end) {
    while (i < end && s.charCodeAt(i) === SP) i++;
    if (i >= end) break;
    let j = i + 1;
    while (j < end && s.charCodeAt(j) !== SP) j++;
    const a = trimStart(s, i, j);
    spans[2 * n] = a;
    spans[2 * n + 1] = trimEnd(s, a, j);
    n++;
    i = j;
  }
  return n;
}

/** "IN IP4 224.2.1.1/127" -> "224.2.1.1"; the /ttl and /count suffixes are dropped. */
function connectionAddress(s: string, start: number, end: number): string | null {
  const n = fieldsIn(s, start, end);
  if (n < 3 || spans[1] - spans[0] !== 2 || !s.startsWith('IN', spans[0])) return null;
  const a = spans[4];
  const slash = s.indexOf('/', a);
  const b = slash < 0 || slash >= spans[5] ? spans[5] : slash;
  return b > a ? s.slice(a, b) : null;
}

/** Media types and transports most SDP names (RFC 8866 5.14), as constants: no copy per m= line. */
const MEDIA_NAMES = byShape(['audio', 'video', 'image', 'text', 'application', 'message']);
const PROTOS = byShape(['RTP/AVP', 'RTP/SAVP', 'RTP/AVPF', 'RTP/SAVPF', 'UDP/TLS/RTP/SAVP', 'UDP/TLS/RTP/SAVPF', 'udptl', 'UDP', 'TCP/RTP/AVP', 'TCP/BFCP', 'TCP/MSRP']);
/** rtpmap encodings most SDP carries. */
const ENCODINGS = byShape([
  'PCMU/8000', 'PCMA/8000', 'G722/8000', 'G729/8000', 'G723/8000', 'GSM/8000', 'iLBC/8000', 'AMR/8000', 'AMR-WB/16000', 'opus/48000/2',
  'telephone-event/8000', 'telephone-event/16000', 'telephone-event/48000', 'CN/8000', 'red/8000', 'H264/90000', 'VP8/90000', 'H263-1998/90000',
]);

/** s[start..end) as the constant of `names` it is, or a new string. */
function named(names: ConstantTable, s: string, start: number, end: number): string {
  return constantIn(names, s, start, end) ?? s.slice(start, end);
}

/** "audio 49170/2 RTP/AVP 0 8 97" (RFC 8866 5.14). */
function mediaLine(s: string, start: number, end: number): SdpMedia | null {
  const n = fieldsIn(s, start, end);
  if (n < 3) return null;
  const pa = spans[2];
  const pb = spans[3];
  const slash = s.indexOf('/', pa);
  const portEnd = slash < 0 || slash >= pb ? pb : slash;
  const port = shortDigits(s, pa, portEnd);
  if (port < 0 || (portEnd < pb && shortDigits(s, portEnd + 1, pb) < 0) || port > MAX_PORT) return null;
  let count = 0;
  // Non-RTP protocols (e.g. "udptl t38", "TCP/BFCP *") have non-numeric formats; only numbers are payload types.
  for (let k = 3; k < n; k++) {
    const a = spans[2 * k];
    const b = spans[2 * k + 1];
    const pt = shortDigits(s, a, b);
    if (pt >= 0 && pt <= MAX_PT) payloadTypesRead[count++] = pt;
  }
  return {
    media: named(MEDIA_NAMES, s, spans[0], spans[1]), port, proto: named(PROTOS, s, spans[4], spans[5]), payloadTypes: payloadTypesRead.slice(0, count), address: null,
    rtpmap: NO_RTPMAP,
  };
}

/** A new media line's map until its section is read (rtpmapRead() gives it its own). */
const NO_RTPMAP: Readonly<Record<number, string>> = Object.freeze(sparseRecord<number, string>());

/**
 * The a=rtpmap lines of the media section being read, in order, as
 * (payload type, encoding): overwritten, never emptied. The section's map is
 * made from them when it ends.
 */
const mapPts: number[] = [];
const mapEncodings: string[] = [];
let mapLines = 0;

/**
 * Maps made lately, with the lines each was made from: most media lines
 * repeat one of a few maps (PCMU, PCMA, telephone-event), and the SDP
 * endpoint table keeps one per announcement. One object per distinct map
 * (never changed once made: the type is read only) is a third of a kilobyte
 * less kept, and made, per media line.
 */
const RECENT_MAPS = 8;
const recentMaps: Array<{ pts: number[]; encodings: string[]; map: Readonly<Record<number, string>> }> = [];
let nextRecent = 0;

/** The map of the section's a=rtpmap lines (mapPts, mapEncodings): one made lately from the same lines, or a new one. */
function rtpmapRead(): Readonly<Record<number, string>> {
  const n = mapLines;
  mapLines = 0;
  for (const r of recentMaps) if (sameLines(r.pts, r.encodings, n)) return r.map;
  // Set in the order the lines came: a payload type given twice keeps its last encoding.
  const map = sparseRecord<number, string>();
  for (let k = 0; k < n; k++) map[mapPts[k]] = mapEncodings[k];
  const made = { pts: mapPts.slice(0, n), encodings: mapEncodings.slice(0, n), map };
  if (recentMaps.length < RECENT_MAPS) recentMaps.push(made);
  else recentMaps[nextRecent] = made;
  nextRecent = (nextRecent + 1) % RECENT_MAPS;
  return map;
}

function sameLines(pts: readonly number[], encodings: readonly string[], n: number): boolean {
  if (pts.length !== n) return false;
  for (let k = 0; k < n; k++) if (pts[k] !== mapPts[k] || encodings[k] !== mapEncodings[k]) return false;
  return true;
}

/** "rtpmap:96 H264/90000" -> rtpmap[96] = "H264/90000", for the section's map; `start` is just past "rtpmap:". */
function rtpmap(s: string, start: number, end: number): void {
  let k = start;
  while (k < end && isDigitCode(s.charCodeAt(k))) k++;
  if (k === start || k - start > 3) return;
  const pt = digitsValue(s, start, k);
  k = trimStart(s, k, end);
  const b = trimEnd(s, k, end);
  // Kept by the SDP endpoint table past the message: a constant, or a copy that holds no message text.
  if (b > k && pt <= MAX_PT) {
    mapPts[mapLines] = pt;
    mapEncodings[mapLines] = constantIn(ENCODINGS, s, k, b) ?? detach(s.slice(k, b));
    mapLines++;
  }
}

/** s[start..end) trim()med. */
function trimmed(s: string, start: number, end: number): string {
  const a = trimStart(s, start, end);
  return s.slice(a, trimEnd(s, a, end));
}

/** Where s[start..end) trim()med starts. */
function trimStart(s: string, start: number, end: number): number {
  while (start < end && isTrimmedSpace(s.charCodeAt(start))) start++;
  return start;
}

/** Where s[start..end) trim()med ends. */
function trimEnd(s: string, start: number, end: number): number {
  while (end > start && isTrimmedSpace(s.charCodeAt(end - 1))) end--;
  return end;
}

/** What String.prototype.trim() removes: ECMAScript WhiteSpace (Zs and TAB, VT, FF, ZWNBSP) and LineTerminator. */
function isTrimmedSpace(c: number): boolean {
  if (c <= SP) return c === SP || (c >= 0x09 && c <= 0x0d);
  if (c < 0xa0) return false;
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

function isDigitCode(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** The value of s[start..end) when it is 1 to 10 digits, else -1. */
function shortDigits(s: string, start: number, end: number): number {
  return end - start <= 10 ? digitsValue(s, start, end) : -1;
}

function pushError(errors: string[] | null, e: string): string[] {
  const out = errors ?? [];
  if (out.length < 8) out.push(e);
  return out;
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}...` : s;
}
