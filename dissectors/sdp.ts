// SDP (RFC 4566 / RFC 8866) session descriptions, as carried in SIP bodies.
// Only what ucprobe needs to tie RTP to a call: the origin, the connection
// addresses, the media lines and their rtpmap attributes. Pure; never throws.

import { Buffer } from 'node:buffer';
import type { SdpMedia, SdpRecord } from './types.js';
import { sparseRecord } from '../src/common/sparse-record.js';

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
  const rec: SdpRecord = { address: null, origin: null, media: [] };
  const errors: string[] = [];
  let sawVersion = false;
  let cur: SdpMedia | null = null;
  // Attributes after a bad m= line belong to no media we report.
  let inBadMedia = false;
  const n = text.length;
  let i = 0;
  while (i < n) {
    let j = text.indexOf('\n', i);
    if (j < 0) j = n;
    let e = j;
    if (e > i && text.charCodeAt(e - 1) === CR) e--;
    if (e - i >= 2 && text.charCodeAt(i + 1) === EQ) {
      const type = text.charCodeAt(i);
      // Sliced only for the lines read: not v=, s=, t=, nor most a= lines (ptime, fmtp, sendrecv).
      const read = type === TYPE_O || type === TYPE_C || type === TYPE_M || (type === TYPE_A && cur !== null && text.startsWith(RTPMAP, i + 2));
      const value = read ? text.slice(i + 2, e) : '';
      switch (type) {
        case TYPE_V:
          sawVersion = true;
          break;
        case TYPE_O:
          if (cur === null && !inBadMedia && rec.origin === null) rec.origin = value.trim();
          break;
        case TYPE_C: {
          const addr = connectionAddress(value);
          if (addr === null) {
            pushError(errors, `unparsable c= line "${clip(value)}"`);
          } else if (inBadMedia) {
            // belongs to a media line we could not parse
          } else if (cur !== null) {
            // RFC 8866 5.7: several c= lines per media are for layered multicast; the first is the base.
            if (cur.address === null) cur.address = addr;
          } else if (rec.address === null) {
            rec.address = addr;
          }
          break;
        }
        case TYPE_M: {
          const m = mediaLine(value);
          if (m === null) {
            pushError(errors, `unparsable m= line "${clip(value)}"`);
            cur = null;
            inBadMedia = true;
          } else {
            rec.media.push(m);
            cur = m;
            inBadMedia = false;
          }
          break;
        }
        case TYPE_A:
          if (cur !== null && value.length > 0) rtpmap(cur, value);
          break;
        default:
          break;
      }
    }
    i = j + 1;
  }
  for (const m of rec.media) if (m.address === null) m.address = rec.address;
  if (!sawVersion) errors.unshift('no v= line');
  if (errors.length > 0) rec.error = errors.join('; ');
  return rec;
}

/** "IN IP4 224.2.1.1/127" -> "224.2.1.1"; the /ttl and /count suffixes are dropped. */
function connectionAddress(value: string): string | null {
  const f = fields(value);
  if (f.length < 3 || f[0] !== 'IN') return null;
  const slash = f[2].indexOf('/');
  const addr = slash < 0 ? f[2] : f[2].slice(0, slash);
  return addr.length > 0 ? addr : null;
}

/** "audio 49170/2 RTP/AVP 0 8 97" (RFC 8866 5.14). */
function mediaLine(value: string): SdpMedia | null {
  const f = fields(value);
  if (f.length < 3) return null;
  const portField = f[1];
  const slash = portField.indexOf('/');
  const portText = slash < 0 ? portField : portField.slice(0, slash);
  if (!isDigits(portText) || (slash >= 0 && !isDigits(portField.slice(slash + 1)))) return null;
  const port = Number(portText);
  if (port > MAX_PORT) return null;
  const payloadTypes: number[] = [];
  // Non-RTP protocols (e.g. "udptl t38", "TCP/BFCP *") have non-numeric formats; only numbers are payload types.
  for (let k = 3; k < f.length; k++) {
    if (isDigits(f[k])) {
      const pt = Number(f[k]);
      if (pt <= MAX_PT) payloadTypes.push(pt);
    }
  }
  return { media: f[0], port, proto: f[2], payloadTypes, address: null, rtpmap: sparseRecord<number, string>() };
}

/** "rtpmap:96 H264/90000" -> rtpmap[96] = "H264/90000". */
function rtpmap(m: SdpMedia, value: string): void {
  let k = RTPMAP.length;
  const start = k;
  while (k < value.length && isDigitCode(value.charCodeAt(k))) k++;
  if (k === start || k - start > 3) return;
  const pt = Number(value.slice(start, k));
  const enc = value.slice(k).trim();
  if (enc.length > 0 && pt <= MAX_PT) m.rtpmap[pt] = enc;
}

/** The SP-separated fields of s, each trimmed (as s.split(' ') with the empty ones left out). */
function fields(s: string): string[] {
  const out: string[] = [];
  const n = s.length;
  let i = 0;
  while (i < n) {
    while (i < n && s.charCodeAt(i) === SP) i++;
    if (i >= n) break;
    let j = i + 1;
    while (j < n && s.charCodeAt(j) !== SP) j++;
    out.push(s.slice(i, j).trim());
    i = j;
  }
  return out;
}

function isDigitCode(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isDigits(s: string): boolean {
  if (s.length === 0 || s.length > 10) return false;
  for (let k = 0; k < s.length; k++) if (!isDigitCode(s.charCodeAt(k))) return false;
  return true;
}

function pushError(errors: string[], e: string): void {
  if (errors.length < 8) errors.push(e);
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}...` : s;
}
