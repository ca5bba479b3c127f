// SIP (RFC 3261) message parser. Pure: it takes bytes and offsets, returns a
// SipMessage, never throws. It does not know which transport the bytes came
// from; a datagram is parsed as-is (RFC 3261 18.3: octets after
// Content-Length are ignored, a missing Content-Length means "the rest of the
// datagram"), and src/reassembly/sip-stream-framer.ts cuts TCP streams into messages
// with sipStreamExtent() before calling parseSipMessage().
//
// Checks follow the RFC 4475 / RFC 5118 torture tests: a message that breaks
// the grammar still comes back with every field parsing could fill, plus an
// `error` naming each problem found.

import { Buffer, isAscii } from 'node:buffer';
import type { SdpRecord, SipHeader, SipMessage } from './types.js';
import { parseSdpBytes, parseSdpIn } from './sdp.js';
import { findPart, mediaType, multipartBoundary } from './multipart.js';
import { byShape, constantIn, digitsValue } from './text-values.js';

const HT = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const DQUOTE = 0x22;
const SLASH = 0x2f;
const DOT = 0x2e;
const COLON = 0x3a;
const SEMI = 0x3b;
const LT = 0x3c;
const EQUALS = 0x3d;
const GT = 0x3e;
const LBRACKET = 0x5b;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const STAR = 0x2a;
const CH_S = 0x53;
const CH_I = 0x49;
const CH_P = 0x50;
const CASE_BIT = 0x20;

/** Shortest start line worth a look: "SIP/2.0 200" or "A x:y SIP/2.0". */
const MIN_START_LINE = 11;
/** Longer methods are not plausible; bounds the work looksLikeSip does on junk. */
const MAX_METHOD = 64;
/** Start lines longer than this are treated as junk by looksLikeSip. */
export const MAX_START_LINE = 8192;
const MAX_ERRORS = 8;
/** Content-Length values longer than this are rejected rather than trusted to frame a stream. */
const MAX_CONTENT_LENGTH_DIGITS = 10;
/** RFC 3261 8.1.1.5: CSeq sequence numbers are below 2**31. */
const MAX_CSEQ = 0x7fffffff;
/** The deviation of an RFC 3261 request without Max-Forwards (8.1.1.6): it parses, but the rule says it must be there. */
export const NO_MAX_FORWARDS = 'request without Max-Forwards (RFC 3261 8.1.1.6)';
/** RFC 3261 20.22: Max-Forwards is 0..255. */
const MAX_MAX_FORWARDS = 255;
/** RFC 3261 20.19 / 20.33: delta-seconds fit in 32 bits. */
const MAX_DELTA_SECONDS = 0xffffffff;
/** RFC 3261 8.1.1.7: branch IDs of RFC 3261 clients start with this cookie. */
const MAGIC_COOKIE = 'z9hG4bK';

/** RFC 3261 7.3.3 compact forms, plus the later ones IANA registers (RFC 3265, 3515, 3841, 3892, 4028, 4474, 8224). */
export const SIP_COMPACT_FORMS: Readonly<Record<string, string>> = Object.freeze({
  a: 'accept-contact',
  b: 'referred-by',
  c: 'content-type',
  d: 'request-disposition',
  e: 'content-encoding',
  f: 'from',
  i: 'call-id',
  j: 'reject-contact',
  k: 'supported',
  l: 'content-length',
  m: 'contact',
  n: 'identity-info',
  o: 'event',
  r: 'refer-to',
  s: 'subject',
  t: 'to',
  u: 'allow-events',
  v: 'via',
  x: 'session-expires',
  y: 'identity',
});

/** RFC 3261 25.1 token characters: alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~". */
const TOKEN = new Uint8Array(256);
for (let c = 0x30; c <= 0x39; c++) TOKEN[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TOKEN[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TOKEN[c] = 1;
for (const ch of "-.!%*_+`'~") TOKEN[ch.charCodeAt(0)] = 1;

function isToken(c: number): boolean {
  return c < 256 && TOKEN[c] === 1;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isWsp(c: number): boolean {
  return c === SP || c === HT;
}

function isAlpha(c: number): boolean {
  const l = c | CASE_BIT;
  return l >= 0x61 && l <= 0x7a;
}

function clampOff(b: Uint8Array, off: number): number {
  return off > 0 ? Math.min(off | 0, b.length) : 0;
}

function clampEnd(b: Uint8Array, off: number, end: number): number {
  const e = end < b.length ? end | 0 : b.length;
  return e < off ? off : e;
}

// ---------------------------------------------------------------- recognition

/**
 * Cheap test of whether the bytes at `off` start with a SIP start line:
 * `SIP/x.y SP 3DIGIT` or `token SP uri SP SIP/x.y`. Looks at bytes only.
 */
export function looksLikeSip(b: Uint8Array, off: number, end: number): boolean {
  const s = clampOff(b, off);
  const e = clampEnd(b, s, end);
  if (e - s < MIN_START_LINE) return false;
  const c0 = b[s];
  if (c0 === CH_S && b[s + 1] === CH_I && b[s + 2] === CH_P && b[s + 3] === SLASH) {
    let p = skipDigitBytes(b, s + 4, e);
    // "SIP/" is not a method token either, so a bad version rules both forms out.
    if (p === s + 4 || b[p] !== DOT) return false;
    const q = skipDigitBytes(b, p + 1, e);
    if (q === p + 1 || b[q] !== SP) return false;
    p = q + 1;
    if (!(p + 3 <= e && isDigit(b[p]) && isDigit(b[p + 1]) && isDigit(b[p + 2]))) return false;
    // The reason phrase is text: a control byte in it (a NUL, say) means this is not a status line.
    const lineMax = Math.min(e, s + MAX_START_LINE);
    for (let r = p + 3; r < lineMax; r++) {
      const c = b[r];
      if (c === CR || c === LF) return true;
      if ((c < SP && c !== HT) || c === 0x7f) return false;
    }
    return lineMax === e;
  }
  return requestLooksLike(b, s, e);
}

function requestLooksLike(b: Uint8Array, s: number, e: number): boolean {
  let p = s;
  const mEnd = Math.min(e, s + MAX_METHOD + 1);
  while (p < mEnd && TOKEN[b[p]] === 1) p++;
  if (p === s || p >= e || b[p] !== SP) return false;
  // Tolerate extra SP here so torture messages (lwsstart) still reach the parser and get flagged.
  while (p < e && b[p] === SP) p++;
  if (p >= e) return false;
  const u0 = b[p];
  if (!isAlpha(u0) && u0 !== LT) return false;
  const lineMax = Math.min(e, s + MAX_START_LINE);
  let sawColon = false;
  let q = p;
  for (; q < lineMax; q++) {
    const c = b[q];
    if (c === CR || c === LF) break;
    if (c === COLON) sawColon = true;
    else if ((c < SP && c !== HT) || c === 0x7f) return false;
  }
  if (q === lineMax && lineMax < e) return false;
  if (!sawColon) return false;
  // The line must end in "SP SIP/digits.digits", maybe followed by stray SP (trws).
  while (q > p && isWsp(b[q - 1])) q--;
  let r = q;
  while (r > p && isDigit(b[r - 1])) r--;
  if (r === q || b[r - 1] !== DOT) return false;
  r--;
  const minor = r;
  while (r > p && isDigit(b[r - 1])) r--;
  if (r === minor) return false;
  return (
    r - 5 > p &&
    b[r - 1] === SLASH &&
    b[r - 2] === CH_P &&
    b[r - 3] === CH_I &&
    b[r - 4] === CH_S &&
    b[r - 5] === SP
  );
}

function skipDigitBytes(b: Uint8Array, p: number, e: number): number {
  while (p < e && isDigit(b[p])) p++;
  return p;
}

// ---------------------------------------------------------------- stream framing helper

/** Where a message's parts end, as far as the bytes seen so far tell. */
export interface SipExtent {
  /** Bytes from `off` through the empty line ending the headers. */
  headerLength: number;
  /** Content-Length value; 0 when absent or unusable (RFC 3261 18.3 makes it mandatory on streams). */
  bodyLength: number;
  /** A Content-Length is there but is not a length (abc, -5, 99999999999): where the message ends is unknown. */
  unusableLength: boolean;
}

/**
 * For stream transports: find the end of the header block starting at `off`
 * and the Content-Length inside it, without decoding anything. Returns null
 * while the empty line ending the headers has not arrived yet.
 */
export function sipStreamExtent(b: Uint8Array, off: number, end: number): SipExtent | null {
  const s = clampOff(b, off);
  const e = clampEnd(b, s, end);
  let bodyLength = -1;
  let unusable = false;
  let p = s;
  let first = true;
  while (p < e) {
    let q = p;
    while (q < e && b[q] !== LF) q++;
    if (q >= e) return null;
    let le = q;
    if (le > p && b[le - 1] === CR) le--;
    if (le === p && !first) return { headerLength: q + 1 - s, bodyLength: bodyLength < 0 ? 0 : bodyLength, unusableLength: unusable && bodyLength < 0 };
    if (!first && bodyLength < 0) {
      const v = contentLengthValueAt(b, p, le);
      if (v === UNUSABLE) unusable = true;
      else if (v !== null) bodyLength = v;
    }
    first = false;
    p = q + 1;
  }
  return null;
}

/** contentLengthValueAt's answer for a Content-Length header whose value is not a length. */
const UNUSABLE = -1;

/** If the line [p, e) is a Content-Length (or "l") header: its number, or UNUSABLE; null for any other line. */
function contentLengthValueAt(b: Uint8Array, p: number, e: number): number | null {
  const LONG = 'content-length';
  let q = p;
  if ((b[q] | CASE_BIT) === 0x6c && (q + 1 >= e || b[q + 1] === COLON || isWsp(b[q + 1]))) {
    q++;
  } else {
    if (e - p < LONG.length) return null;
    for (let k = 0; k < LONG.length; k++) {
      const c = b[p + k];
      const want = LONG.charCodeAt(k);
      if (c !== want && (c | CASE_BIT) !== want) return null;
    }
    q = p + LONG.length;
  }
  while (q < e && isWsp(b[q])) q++;
  if (q >= e || b[q] !== COLON) return null;
  q++;
  while (q < e && isWsp(b[q])) q++;
  const d = q;
  let v = 0;
  while (q < e && isDigit(b[q])) {
    v = v * 10 + (b[q] - 0x30);
    q++;
  }
  const digits = q - d;
  while (q < e && isWsp(b[q])) q++;
  // Same rule as the parser's Content-Length check, so framing and parsing agree.
  return digits > 0 && digits <= MAX_CONTENT_LENGTH_DIGITS && q === e ? v : UNUSABLE;
}

/** RFC 3261 and its extensions' methods: what a start line glued to the end of a body can be recognised by. */
const KNOWN_METHODS = ['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'PRACK', 'SUBSCRIBE', 'NOTIFY', 'PUBLISH', 'INFO', 'REFER', 'MESSAGE', 'UPDATE']
  .map((m) => Uint8Array.from(m, (c) => c.charCodeAt(0)));

const SIP20 = Uint8Array.from('SIP/2.0', (c) => c.charCodeAt(0));

function bytesAt(b: Uint8Array, p: number, want: Uint8Array): boolean {
  if (p < 0 || p + want.length > b.length) return false;
  for (let k = 0; k < want.length; k++) if (b[p + k] !== want[k]) return false;
  return true;
}

/**
 * Where a SIP start line begins inside the line [off, end) (through its LF),
 * or -1: for a stream resynchronising after a message whose end was unknown,
 * whose body may run into the next start line ("helloOPTIONS sip:..."). A
 * status line is found by its "SIP/2.0 NNN"; a request line by its trailing
 * " SIP/2.0" and a method: the word before the Request-URI, or, when text is
 * glued to that word, the known method it ends with.
 */
export function startLineIn(b: Uint8Array, off: number, end: number): number {
  const e = Math.min(end, b.length);
  for (let k = off; k + MIN_START_LINE <= e; k++) {
    if (b[k] === CH_S && bytesAt(b, k, SIP20) && b[k + 7] === SP && looksLikeSip(b, k, e)) return k;
  }
  let le = e;
  while (le > off && (b[le - 1] === LF || b[le - 1] === CR || b[le - 1] === SP)) le--;
  if (!bytesAt(b, le - SIP20.length, SIP20) || b[le - SIP20.length - 1] !== SP) return -1;
  // Back over " SIP/2.0", the Request-URI (no spaces) and the spaces before it to the method's end.
  let m = le - SIP20.length - 1;
  while (m > off && b[m - 1] === SP) m--;
  while (m > off && b[m - 1] !== SP) m--;
  while (m > off && b[m - 1] === SP) m--;
  let t = m;
  while (t > off && TOKEN[b[t - 1]] === 1) t--;
  if (t === m) return -1;
  // The word itself if it is a known method, else the longest known method it ends with, else the
  // word when it stands alone (an extension method).
  let k = -1;
  for (const method of KNOWN_METHODS) {
    const at = m - method.length;
    if (at >= t && bytesAt(b, at, method) && (k < 0 || at < k)) k = at;
  }
  if (k < 0 && (t === off || b[t - 1] === SP)) k = t;
  return k >= 0 && looksLikeSip(b, k, e) ? k : -1;
}

// ---------------------------------------------------------------- parser

/** A byte >= 0x80 in text decoded as Latin-1 (char i is byte i): such text must be decoded again as UTF-8. */
const NON_ASCII = /[\u0080-\u00ff]/;

/**
 * A parsed message. What analysis reads (start line, Call-ID, CSeq, tags,
 * branch, lengths, SDP) is filled by the parse; the header list, the body and
 * the raw bytes are made from the input only when asked, as dissect -V and
 * HEP do: like `raw`, they must be asked for while the input is still valid
 * (while the frame is handled), and are kept once made.
 */
class ParsedSipMessage implements SipMessage {
  declare method?: string;
  declare requestUri?: string;
  declare status?: number;
  declare reason?: string;
  version = '';
  callId: string | null = null;
  cseq: { seq: number; method: string } | null = null;
  from: string | null = null;
  to: string | null = null;
  fromTag: string | null = null;
  toTag: string | null = null;
  branch: string | null = null;
  sentBy: string | null = null;
  contentLength: number | null = null;
  contentType: string | null = null;
  length = 0;
  sdp: SdpRecord | null = null;
  declare error?: string;
  declare deviations?: string[];
  readonly #src: Uint8Array;
  readonly #start: number;
  readonly #end: number;
  /** Where the header block starts in #src; -1 when there is none (an empty message). */
  headerStart = -1;
  bodyStart = 0;
  bodyEnd = 0;
  #headers: SipHeader[] | null = null;
  #body: Uint8Array | null | undefined = undefined;
  #raw: Uint8Array | null | undefined = undefined;

  constructor(src: Uint8Array, start: number, end: number) {
    this.#src = src;
    this.#start = start;
    this.#end = end;
  }

  get headers(): SipHeader[] {
    return (this.#headers ??= this.headerStart < 0 ? [] : headerList(this.#src, this.headerStart, this.#end));
  }

  set headers(h: SipHeader[]) {
    this.#headers = h;
  }

  get body(): Uint8Array | null {
    if (this.#body === undefined) this.#body = this.bodyEnd > this.bodyStart ? this.#src.subarray(this.bodyStart, this.bodyEnd) : null;
    return this.#body;
  }

  set body(b: Uint8Array | null) {
    this.#body = b;
  }

  get raw(): Uint8Array | null {
    if (this.#raw === undefined) this.#raw = this.#src.subarray(this.#start, this.#start + this.length);
    return this.#raw;
  }

  set raw(r: Uint8Array | null) {
    this.#raw = r;
  }
}

/**
 * The text of the message being parsed when it holds no HT, else '': in it
 * hasWsp looks for SP alone, natively (the addresses' URIs are checked so).
 */
let tablessText = '';

/** The problems of the message being parsed (the parser is not re-entered): most messages have none, and no list is made for them. */
const parseErrors: string[] = [];

/**
 * Parse one SIP message starting at `off` (leading CRLFs are skipped, RFC 3261 7.5).
 * `length` covers start line through body; bytes after Content-Length are not consumed.
 */
export function parseSipMessage(b: Uint8Array, off: number, end: number): SipMessage {
  const s0 = clampOff(b, off);
  const e = clampEnd(b, s0, end);
  const msg = new ParsedSipMessage(b, s0, e);
  const errors = parseErrors;
  if (errors.length > 0) errors.length = 0;
  try {
    parseInto(b, s0, e, msg, errors);
  } catch (err) {
    // Defensive only: the parser is written not to throw; a bug must not take the pipeline down.
    addError(errors, `internal parser error: ${err instanceof Error ? err.message : String(err)}`);
    if (msg.length === 0) msg.length = e - s0;
  }
  // Neither the input nor its text is held past the parse.
  parsedText.buf = NO_BYTES;
  parsedText.text = '';
  tablessText = '';
  if (msg.length > e - s0) msg.length = e - s0;
  if (errors.length > 0) msg.error = errors.join('; ');
  return msg;
}

/**
 * A UDP payload holds one message; octets after its Content-Length are
 * ignored (RFC 3261 18.3, RFC 4475 3.1.1.8). A payload of only CRLF/space
 * (a keep-alive) holds none.
 */
export function parseSipDatagram(b: Uint8Array, off: number, end: number): SipMessage[] {
  const s = clampOff(b, off);
  const e = clampEnd(b, s, end);
  let p = s;
  while (p < e && (b[p] === CR || b[p] === LF || b[p] === SP || b[p] === HT)) p++;
  if (p >= e) return [];
  return [parseSipMessage(b, s, e)];
}

/** One line: "INVITE sip:bob@example.com" or "200 OK (INVITE)". */
export function sipSummary(m: SipMessage): string {
  if (m.method !== undefined) {
    const uri = m.requestUri !== undefined && m.requestUri !== '' ? ` ${m.requestUri}` : '';
    return `${m.method}${uri}`;
  }
  if (m.status !== undefined) {
    const reason = m.reason !== undefined && m.reason !== '' ? ` ${m.reason}` : '';
    const cseq = m.cseq !== null ? ` (${m.cseq.method})` : '';
    return `${m.status}${reason}${cseq}`;
  }
  return `malformed SIP${m.error !== undefined ? `: ${m.error}` : ''}`;
}

function addError(errors: string[], e: string): void {
  if (errors.length < MAX_ERRORS) errors.push(e);
}

/**
 * The message's text, decoded once as Latin-1 (char i is byte `base` + i),
 * so lines are found and values sliced without calls out of JavaScript; a
 * value holding bytes >= 0x80 is decoded again as UTF-8.
 */
interface MessageText {
  buf: Uint8Array;
  text: string;
  base: number;
  /** Some byte >= 0x80 is in the text. */
  high: boolean;
}

/** Buffer's decoders, which toString(encoding, s, e) calls after checking its arguments; they read any Uint8Array. */
interface Slicing {
  latin1Slice(this: Uint8Array, start: number, end: number): string;
  utf8Slice(this: Uint8Array, start: number, end: number): string;
}
const { latin1Slice, utf8Slice } = Buffer.prototype as unknown as Slicing;

/**
 * The text of the message being parsed (the parser is not re-entered): one
 * object, refilled per message. It holds the input only during the parse.
 */
const NO_BYTES = new Uint8Array(0);
const parsedText: MessageText = { buf: NO_BYTES, text: '', base: 0, high: false };

function messageText(t: MessageText, b: Uint8Array, base: number, e: number): MessageText {
  t.buf = b;
  t.text = latin1(b, base, e);
  t.base = base;
  // A datagram's message is its whole view (but for leading CRLFs): no view of the text's bytes need be made.
  t.high = !isAscii(base === 0 && e === b.length ? b : new Uint8Array(b.buffer, b.byteOffset + base, e - base));
  return t;
}

/** b.toString('latin1', s, e) by the binding itself, on the bytes as they are (no Buffer made): the argument checks cost as much as the copy of a message. */
function latin1(b: Uint8Array, s: number, e: number): string {
  return latin1Slice.call(b, s, e);
}

/** b.toString('utf8', s, e), likewise. */
function utf8(b: Uint8Array, s: number, e: number): string {
  return utf8Slice.call(b, s, e);
}

/** Next LF in the text at or after absolute index p (before e), or e. */
function lineEnd(t: MessageText, p: number, e: number): number {
  const i = t.text.indexOf('\n', p - t.base);
  return i < 0 ? e : i + t.base;
}

/** [s, e) without surrounding SP/HT, as UTF-8 when it holds bytes >= 0x80 (identical to Latin-1 otherwise). */
function valueAt(t: MessageText, s: number, e: number): string {
  const text = t.text;
  let i = s - t.base;
  let j = e - t.base;
  while (i < j && isWsp(text.charCodeAt(i))) i++;
  while (j > i && isWsp(text.charCodeAt(j - 1))) j--;
  const v = text.slice(i, j);
  return t.high && NON_ASCII.test(v) ? utf8(t.buf, i + t.base, j + t.base) : v;
}

function parseInto(b: Uint8Array, s0: number, e: number, msg: ParsedSipMessage, errors: string[]): void {
  let p = s0;
  while (p < e && (b[p] === CR || b[p] === LF)) p++;
  if (p >= e) {
    msg.length = e - s0;
    addError(errors, 'empty message');
    return;
  }
  const t = messageText(parsedText, b, p, e);
  tablessText = t.text.indexOf('\t') < 0 ? t.text : '';

  // Start line.
  const q = lineEnd(t, p, e);
  let le = q;
  if (le > p && b[le - 1] === CR) le--;
  parseStartLine(t, p, le, msg, errors);
  p = q < e ? q + 1 : e;

  msg.headerStart = p;
  scannedLength = 0;
  let bodyStart = scanHeaders(t, p, e, errors, null);
  interpretHeaders(msg, errors, t.text);

  // Body by Content-Length; on a datagram a missing one means "the rest".
  if (bodyStart < 0) {
    addError(errors, 'headers not terminated by an empty line');
    bodyStart = e;
  }
  let bodyEnd = e;
  const avail = e - bodyStart;
  if (msg.contentLength !== null) {
    if (msg.contentLength > avail) {
      addError(errors, `Content-Length ${msg.contentLength} exceeds the ${avail} body bytes present`);
    } else {
      bodyEnd = bodyStart + msg.contentLength;
    }
  }
  msg.length = bodyEnd - s0;
  msg.bodyStart = bodyStart;
  msg.bodyEnd = bodyEnd;
  if (bodyEnd > bodyStart) {
    if (msg.contentType === 'application/sdp') {
      // Read in the message's text, no copy of the body (parseSdpIn says what it slices).
      msg.sdp = t.high ? parseSdpBytes(b, bodyStart, bodyEnd) : parseSdpIn(t.text, bodyStart - t.base, bodyEnd - t.base);
    } else if (msg.contentType?.startsWith('multipart/')) {
      const sdp = sdpPart(msg.body!, t.text);
      if (sdp !== null) msg.sdp = parseSdpBytes(sdp, 0, sdp.length);
    }
  }
}

/** The SDP part of a multipart body (SIP-I/SIP-T trunks send it beside ISUP), or null; `text`: the message's, where values read in place stand. */
function sdpPart(body: Uint8Array, text: string): Uint8Array | null {
  let ct: string | null = null;
  for (let i = 0; i < scannedLength && ct === null; i += SCANNED_STRIDE) {
    if (scanned[i] === H_CONTENT_TYPE) ct = (scanned[i + 1] as string | null) ?? text.slice(scanned[i + 2] as number, scanned[i + 3] as number);
  }
  const boundary = ct === null ? null : multipartBoundary(ct);
  return boundary === null ? null : findPart(body, boundary, 'application/sdp');
}

/** Every header of the block at `p`, as dissect -V lists them. */
function headerList(b: Uint8Array, p: number, e: number): SipHeader[] {
  const all: SipHeader[] = [];
  scanHeaders(messageText({ buf: b, text: '', base: 0, high: false }, b, p, e), p, e, [], all);
  return all;
}

function canonicalName(raw: string): string {
  const lower = raw.toLowerCase();
  if (lower.length === 1) {
    const long = SIP_COMPACT_FORMS[lower];
    if (long !== undefined) return long;
  }
  return lower;
}

// Headers interpretHeaders reads, by number; every other one is only checked to have a token for a name.
const H_OTHER = 0;
const H_CALL_ID = 1;
const H_CSEQ = 2;
const H_FROM = 3;
const H_TO = 4;
const H_VIA = 5;
const H_CONTENT_LENGTH = 6;
const H_CONTENT_TYPE = 7;
const H_MAX_FORWARDS = 8;
const H_EXPIRES = 9;
const H_RETRY_AFTER = 10;
const H_WARNING = 11;
const H_DATE = 12;
const H_CONTACT = 13;
const H_ROUTE = 14;
const H_RECORD_ROUTE = 15;
const H_REPLY_TO = 16;
/** The names by number as messages nearly always spell them (RFC 3261 20; H_OTHER has none). */
const SPELLED_NAMES = ['', 'Call-ID', 'CSeq', 'From', 'To', 'Via', 'Content-Length', 'Content-Type', 'Max-Forwards', 'Expires', 'Retry-After', 'Warning', 'Date', 'Contact', 'Route', 'Record-Route', 'Reply-To'];
/** Canonical names by number. */
const INTERPRETED = SPELLED_NAMES.map((n) => n.toLowerCase());
/** Compact forms (SIP_COMPACT_FORMS) of interpreted headers, by letter code. */
const COMPACT_ID = new Uint8Array(128);
for (const [letter, long] of Object.entries(SIP_COMPACT_FORMS)) COMPACT_ID[letter.charCodeAt(0)] = Math.max(0, INTERPRETED.indexOf(long));

/**
 * Interpreted names by shape, length << 5 | the first letter's low five bits
 * (the same for either case): a header name is compared with at most two of
 * them (call-id and contact share a shape), not with all sixteen.
 */
const MAX_NAME_SHAPE = 16;
const FIRST_BY_SHAPE = new Uint8Array(MAX_NAME_SHAPE << 5);
const SECOND_BY_SHAPE = new Uint8Array(MAX_NAME_SHAPE << 5);
for (let id = 1; id < INTERPRETED.length; id++) {
  const shape = (INTERPRETED[id].length << 5) | (INTERPRETED[id].charCodeAt(0) & 0x1f);
  if (FIRST_BY_SHAPE[shape] === H_OTHER) FIRST_BY_SHAPE[shape] = id;
  else SECOND_BY_SHAPE[shape] = id;
}

/** The header number of the name b[p..ne), matched as canonicalName() would name it. */
function headerId(b: Uint8Array, p: number, ne: number): number {
  const n = ne - p;
  if (n === 1) {
    const c = b[p];
    // canonicalName lowers case: only ASCII letters can name a compact form.
    return isAlpha(c) ? COMPACT_ID[c | CASE_BIT] : H_OTHER;
  }
  if (n >= MAX_NAME_SHAPE) return H_OTHER;
  const shape = (n << 5) | (b[p] & 0x1f);
  const first = FIRST_BY_SHAPE[shape];
  if (first === H_OTHER || nameAt(b, p, first)) return first;
  const second = SECOND_BY_SHAPE[shape];
  return second !== H_OTHER && nameAt(b, p, second) ? second : H_OTHER;
}

/** The interpreted names' bytes as spelled (compared byte for byte first) and lower-cased, by number. */
const SPELLED = SPELLED_NAMES.map((n) => Uint8Array.from(n, (c) => c.charCodeAt(0)));
const LOWER = INTERPRETED.map((n) => Uint8Array.from(n, (c) => c.charCodeAt(0)));

/** Whether b[p..] is the interpreted name `id` in any case (the caller checked the length). */
function nameAt(b: Uint8Array, p: number, id: number): boolean {
  const spelled = SPELLED[id];
  const want = LOWER[id];
  for (let k = 0; k < want.length; k++) {
    const c = b[p + k];
    if (c === spelled[k]) continue;
    const w = want[k];
    if (c !== w && !(w >= 0x61 && (c | CASE_BIT) === w)) return false;
  }
  return true;
}

/**
 * The interpreted headers of the message being parsed, in order (the parser
 * is not re-entered), as (number, value, start, end): the value as a string,
 * or null for a header read in place (IN_PLACE); start..end is where the
 * value stands in the message's Latin-1 text, -1 when it is not one run of
 * ASCII there (continuation lines, bytes >= 0x80).
 */
const scanned: Array<number | string | null> = [];
/**
 * How much of `scanned` the message being parsed filled. The array is
 * overwritten, never emptied: `length = 0` would drop its backing store, and
 * regrowing it took more than half a kilobyte per message.
 */
let scannedLength = 0;
const SCANNED_STRIDE = 4;
/** Headers whose value no field keeps as written (only checked, or read as a number or a constant): read in the message's text, no string made. */
const IN_PLACE = new Uint8Array(INTERPRETED.length);
for (const id of [H_VIA, H_CONTACT, H_ROUTE, H_RECORD_ROUTE, H_REPLY_TO, H_CSEQ, H_CONTENT_LENGTH, H_CONTENT_TYPE, H_MAX_FORWARDS]) IN_PLACE[id] = 1;

/**
 * Header lines from `p`; a line starting with SP/HT continues the previous one
 * (RFC 3261 7.3.1). Interpreted headers go to `scanned`, or, with `all`, every
 * header goes there by canonical name. Returns where the body starts, or -1
 * when no empty line ends the headers.
 */
function scanHeaders(t: MessageText, p: number, e: number, errors: string[], all: SipHeader[] | null): number {
  const b = t.buf;
  const text = t.text;
  const base = t.base;
  let bodyStart = -1;
  let headers = 0;
  /** The header being read: its number (-1: none), canonical name (with `all`) and value so far (see `scanned`). */
  let id = -1;
  let name = '';
  let value: string | null = '';
  let vs = -1;
  let ve = -1;
  while (p < e) {
    const q = lineEnd(t, p, e);
    const next = q < e ? q + 1 : e;
    let le = q;
    if (le > p && b[le - 1] === CR) le--;
    if (le === p) {
      if (q < e || b[p] === CR) bodyStart = next;
      break;
    }
    const c0 = b[p];
    if (c0 === SP || c0 === HT) {
      if (id < 0) {
        if (headers === 0) addError(errors, 'continuation line before any header');
      } else if (all !== null || id !== H_OTHER) {
        // Folded: the value is no longer one run of the text.
        if (value === null) value = text.slice(vs, ve);
        vs = ve = -1;
        const seg = valueAt(t, p, le);
        if (seg.length > 0) value = value.length > 0 ? `${value} ${seg}` : seg;
      }
      p = next;
      continue;
    }
    if (id >= 0) {
      headerDone(all, id, name, value, vs, ve);
      headers++;
    }
    id = -1;
    let c = p;
    // Nearly every line is "token:": one pass finds the name's end and checks it.
    while (c < le && TOKEN[b[c]] === 1) c++;
    let ne = c;
    if (c === le || b[c] !== COLON) {
      while (c < le && b[c] !== COLON) c++;
      if (c === le) {
        addError(errors, `header line without colon: "${clip(text.slice(p - base, le - base))}"`);
        p = next;
        continue;
      }
      ne = c;
      while (ne > p && isWsp(b[ne - 1])) ne--;
      let tokenName = ne > p;
      for (let k = p; k < ne && tokenName; k++) if (TOKEN[b[k]] !== 1) tokenName = false;
      if (!tokenName) addError(errors, `invalid header name "${clip(text.slice(p - base, ne - base))}"`);
    } else if (ne === p) {
      addError(errors, 'invalid header name ""');
    }
    id = headerId(b, p, ne);
    if (all !== null) name = canonicalName(text.slice(p - base, ne - base));
    vs = ve = -1;
    if (all === null && id !== H_OTHER && !t.high) {
      // ASCII: the value is its run of the text, trimmed as valueAt trims it; a string only for the fields that keep it.
      vs = c + 1 - base;
      ve = le - base;
      while (vs < ve && isWsp(text.charCodeAt(vs))) vs++;
      while (ve > vs && isWsp(text.charCodeAt(ve - 1))) ve--;
      value = IN_PLACE[id] === 1 ? null : text.slice(vs, ve);
    } else {
      value = all !== null || id !== H_OTHER ? valueAt(t, c + 1, le) : '';
    }
    p = next;
  }
  if (id >= 0) headerDone(all, id, name, value, vs, ve);
  return bodyStart;
}

function headerDone(all: SipHeader[] | null, id: number, name: string, value: string | null, vs: number, ve: number): void {
  if (all !== null) all.push({ name, value: value! });
  else if (id !== H_OTHER) {
    const i = scannedLength;
    scanned[i] = id;
    scanned[i + 1] = value;
    scanned[i + 2] = vs;
    scanned[i + 3] = ve;
    scannedLength = i + SCANNED_STRIDE;
  }
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}...` : s;
}

// ---------------------------------------------------------------- start line

/** The methods as constants: the same string object every time, already hashed for the counters' lookups. */
const METHOD_NAMES = ['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'PRACK', 'SUBSCRIBE', 'NOTIFY', 'PUBLISH', 'INFO', 'REFER', 'MESSAGE', 'UPDATE'];
const SIP_2_0 = 'SIP/2.0';

const METHODS_BY_SHAPE = byShape(METHOD_NAMES);

/** s[start..end), as a method constant when it is one (no slice made). */
function methodIn(s: string, start: number, end: number): string {
  return end > start ? (constantIn(METHODS_BY_SHAPE, s, start, end) ?? s.slice(start, end)) : '';
}

/** RFC 3261 21's reason phrases of the responses most seen, as constants: most reasons are one of them, and no copy is made. */
const REASON_PHRASES = ['OK', 'Trying', 'Ringing', 'Session Progress', 'Call Is Being Forwarded', 'Queued', 'Accepted', 'Request Terminated', 'Busy Here', 'Not Found', 'Unauthorized', 'Proxy Authentication Required', 'Request Timeout', 'Temporarily Unavailable', 'Call/Transaction Does Not Exist', 'Server Internal Error', 'Service Unavailable', 'Decline', 'Forbidden', 'Not Acceptable Here', 'Moved Temporarily'];

/** The text of [s, e): UTF-8 when it holds bytes >= 0x80 (identical to Latin-1 otherwise). */
function textAt(t: MessageText, s: number, e: number): string {
  const v = t.text.slice(s - t.base, e - t.base);
  return t.high && NON_ASCII.test(v) ? utf8(t.buf, s, e) : v;
}

function latin1At(t: MessageText, s: number, e: number): string {
  return t.text.slice(s - t.base, e - t.base);
}

function versionAt(t: MessageText, s: number, e: number): string {
  return e - s === SIP_2_0.length && t.text.startsWith(SIP_2_0, s - t.base) ? SIP_2_0 : latin1At(t, s, e);
}

const REASONS_BY_SHAPE = byShape(REASON_PHRASES);

/** The reason phrase [s, e), as textAt reads it. */
function reasonAt(t: MessageText, s: number, e: number): string {
  return (e > s ? constantIn(REASONS_BY_SHAPE, t.text, s - t.base, e - t.base) : null) ?? textAt(t, s, e);
}

function parseStartLine(t: MessageText, s: number, e: number, msg: SipMessage, errors: string[]): void {
  const buf = t.buf;
  if (
    e - s >= 4 &&
    (buf[s] & ~CASE_BIT) === CH_S &&
    (buf[s + 1] & ~CASE_BIT) === CH_I &&
    (buf[s + 2] & ~CASE_BIT) === CH_P &&
    buf[s + 3] === SLASH
  ) {
    parseStatusLine(t, s, e, msg, errors);
  } else {
    parseRequestLine(t, s, e, msg, errors);
  }
}

function parseStatusLine(t: MessageText, s: number, e: number, msg: SipMessage, errors: string[]): void {
  const buf = t.buf;
  let p = s;
  while (p < e && buf[p] !== SP) p++;
  msg.version = versionAt(t, s, p);
  checkVersion(msg.version, errors);
  if (p >= e) {
    addError(errors, 'status line without status code');
    return;
  }
  p++;
  const d = p;
  let status = 0;
  while (p < e && buf[p] !== SP) {
    status = status * 10 + (buf[p] - 0x30);
    p++;
  }
  let digits = p > d;
  for (let k = d; k < p && digits; k++) if (!isDigit(buf[k])) digits = false;
  if (!digits) {
    addError(errors, `garbled status code "${clip(latin1At(t, d, p))}"`);
  } else {
    // Read as a number once it is known to be digits (a long run is rounded as Number() would).
    msg.status = p - d <= 15 ? status : Number(latin1At(t, d, p));
    if (p - d !== 3) addError(errors, `status code "${clip(latin1At(t, d, p))}" is not 3 digits`);
    if (msg.status < 100 || msg.status > 699) addError(errors, `status code ${clip(latin1At(t, d, p))} out of range 100..699`);
  }
  // Reason-Phrase may be empty (RFC 4475 3.1.1.13) and may hold UTF-8 (3.1.1.12).
  msg.reason = p < e ? reasonAt(t, p + 1, e) : '';
}

function parseRequestLine(t: MessageText, s: number, e: number, msg: SipMessage, errors: string[]): void {
  const buf = t.buf;
  let m = s;
  while (m < e && buf[m] !== SP) m++;
  let methodOk = m > s;
  for (let k = s; k < m && methodOk; k++) if (TOKEN[buf[k]] !== 1) methodOk = false;
  if (!methodOk || m >= e) {
    addError(errors, `garbled start line "${clip(latin1At(t, s, e))}"`);
    return;
  }
  msg.method = methodIn(t.text, s - t.base, m - t.base);
  let multiSp = false;
  let u = m + 1;
  if (u < e && buf[u] === SP) {
    multiSp = true;
    while (u < e && buf[u] === SP) u++;
  }
  let tt = e;
  while (tt > u && isWsp(buf[tt - 1])) tt--;
  if (tt < e) addError(errors, 'whitespace at the end of the request line');
  let v = tt;
  while (v > u && buf[v - 1] !== SP) v--;
  if (v <= u) {
    msg.requestUri = textAt(t, u, tt);
    addError(errors, 'request line without SIP version');
    return;
  }
  msg.version = versionAt(t, v, tt);
  checkVersion(msg.version, errors);
  let ue = v - 1;
  if (ue > u && buf[ue - 1] === SP) {
    multiSp = true;
    while (ue > u && buf[ue - 1] === SP) ue--;
  }
  if (multiSp) addError(errors, 'more than one SP between request-line elements');
  msg.requestUri = textAt(t, u, ue);
  // SP and HT read the same in the text as in the URI (a UTF-8 decoding makes neither).
  checkRequestUri(msg.requestUri, hasWsp(t.text, u - t.base, ue - t.base), errors);
}

function checkVersion(v: string, errors: string[]): void {
  if (v === 'SIP/2.0') return; // nearly every message: no slicing or regex
  const ok =
    v.length >= 7 &&
    v.slice(0, 4).toUpperCase() === 'SIP/' &&
    /^\d+\.\d+$/.test(v.slice(4));
  if (!ok) addError(errors, `garbled SIP version "${clip(v)}"`);
  else if (v.toUpperCase() !== 'SIP/2.0') addError(errors, `unsupported SIP version ${v}`);
}

/** `spaced`: SP or HT is in the URI. */
function checkRequestUri(uri: string, spaced: boolean, errors: string[]): void {
  if (uri.length === 0) {
    addError(errors, 'empty Request-URI');
    return;
  }
  if (uri.charCodeAt(0) === LT) {
    addError(errors, 'Request-URI enclosed in <>');
    return;
  }
  if (spaced) {
    addError(errors, 'whitespace inside the Request-URI');
    return;
  }
  const colon = schemeEnd(uri);
  if (colon < 0) {
    addError(errors, 'Request-URI without a scheme');
    return;
  }
  if (!nameIs(uri, 0, colon, 'sip') && !nameIs(uri, 0, colon, 'sips')) return;
  // userinfo never contains "@" (RFC 3261 25.1), so the first one ends it. The host part is uri[host..].
  const at = uri.indexOf('@', colon + 1);
  const host = at >= 0 ? at + 1 : colon + 1;
  if (host === uri.length) {
    addError(errors, 'Request-URI without a host');
    return;
  }
  if (uri.charCodeAt(host) === LBRACKET) {
    if (uri.indexOf(']', host) < 0) addError(errors, 'unterminated IPv6 reference in Request-URI');
  } else {
    // More than one colon in the host part, which ends at ";" or "?": found by native searches (most hosts have one, before a port).
    const first = uri.indexOf(':', host);
    const second = first < 0 ? -1 : uri.indexOf(':', first + 1);
    if (second >= 0 && second < hostEnd(uri, host)) addError(errors, 'IPv6 address in Request-URI host without [ ]');
  }
  // RFC 3261 19.1.1: headers are not allowed in a Request-URI.
  if (uri.indexOf('?', host) >= 0) addError(errors, 'escaped headers (?) in a SIP Request-URI');
}

/** Where the host part of a SIP URI starting at `host` ends: its first ";" or "?", or the URI's end. */
function hostEnd(uri: string, host: number): number {
  const semi = uri.indexOf(';', host);
  const q = uri.indexOf('?', host);
  let end = uri.length;
  if (semi >= 0) end = semi;
  if (q >= 0 && q < end) end = q;
  return end;
}

/** Index of the ":" ending a URI scheme (ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )), or -1. */
function schemeEnd(s: string, start = 0, end = s.length): number {
  if (end <= start || !isAlpha(s.charCodeAt(start))) return -1;
  for (let k = start + 1; k < end; k++) {
    const c = s.charCodeAt(k);
    if (c === COLON) return k;
    if (!(isAlpha(c) || isDigit(c) || c === 0x2b || c === 0x2d || c === DOT)) return -1;
  }
  return -1;
}

// ---------------------------------------------------------------- header semantics

/** The fields of the headers in `scanned`; `text`: the message's Latin-1 text, where values read in place stand. */
function interpretHeaders(msg: SipMessage, errors: string[], text: string): void {
  let sawVia = false;
  let maxForwards = false;
  for (let i = 0; i < scannedLength; i += SCANNED_STRIDE) {
    const id = scanned[i] as number;
    const inPlace = scanned[i + 1] === null;
    // A value read in place has no string: the validators read it as text[vs..ve).
    const v = inPlace ? '' : (scanned[i + 1] as string);
    const vs = scanned[i + 2] as number;
    const ve = scanned[i + 3] as number;
    switch (id) {
      case H_CALL_ID:
        if (v.length === 0) addError(errors, 'empty Call-ID');
        else if (msg.callId === null) msg.callId = v;
        else if (msg.callId !== v) addError(errors, 'more than one Call-ID');
        break;
      case H_CSEQ:
        if (inPlace) cseqHeader(msg, text, vs, ve, errors);
        else cseqHeader(msg, v, 0, v.length, errors);
        break;
      case H_FROM:
      case H_TO: {
        const isFrom = id === H_FROM;
        const prev = isFrom ? msg.from : msg.to;
        if (prev !== null) {
          if (prev !== v) addError(errors, `more than one ${isFrom ? 'From' : 'To'}`);
          break;
        }
        const tag = vs >= 0 ? parseAddr(text, vs, ve, isFrom ? 'From' : 'To', errors, 'tag') : parseAddr(v, 0, v.length, isFrom ? 'From' : 'To', errors, 'tag');
        if (isFrom) {
          msg.from = v;
          msg.fromTag = tag;
        } else {
          msg.to = v;
          msg.toTag = tag;
        }
        break;
      }
      case H_VIA: {
        const top = sawVia ? null : msg;
        if (inPlace) viaHeader(text, vs, ve, errors, top);
        else viaHeader(v, 0, v.length, errors, top);
        sawVia = true;
        break;
      }
      case H_CONTENT_LENGTH:
        if (inPlace) contentLengthHeader(msg, text, vs, ve, errors);
        else contentLengthHeader(msg, v, 0, v.length, errors);
        break;
      case H_CONTENT_TYPE:
        if (msg.contentType === null) msg.contentType = inPlace ? mediaTypeIn(text, vs, ve) : mediaType(v);
        break;
      case H_MAX_FORWARDS:
        maxForwards = true;
        if (inPlace) scalar(text, vs, ve, 'Max-Forwards', MAX_MAX_FORWARDS, true, errors);
        else scalar(v, 0, v.length, 'Max-Forwards', MAX_MAX_FORWARDS, true, errors);
        break;
      case H_EXPIRES:
        // RFC 2543 allowed an HTTP-date here; only overlarge numbers are flagged.
        if (v.length > 0 && isDigit(v.charCodeAt(0))) scalar(v, 0, v.length, 'Expires', MAX_DELTA_SECONDS, false, errors);
        break;
      case H_RETRY_AFTER: {
        const digits = leadingDigits(v);
        scalar(digits, 0, digits.length, 'Retry-After', MAX_DELTA_SECONDS, true, errors);
        break;
      }
      case H_WARNING:
        warningHeader(v, errors);
        break;
      case H_DATE:
        // RFC 3261 20.17: SIP-date is an rfc1123-date, always GMT.
        if (!endsInGmt(v)) addError(errors, 'Date is not in GMT');
        break;
      case H_CONTACT:
        if (inPlace) {
          if (ve - vs !== 1 || text.charCodeAt(vs) !== STAR) addrList(text, vs, ve, 'Contact', errors, true);
        } else if (v !== '*') addrList(v, 0, v.length, 'Contact', errors, true);
        break;
      case H_ROUTE:
      case H_RECORD_ROUTE:
      case H_REPLY_TO:
        if (inPlace) addrList(text, vs, ve, headerLabel(id), errors, false);
        else addrList(v, 0, v.length, headerLabel(id), errors, false);
        break;
      default:
        break;
    }
  }

  // RFC 2543 requests (no magic cookie, RFC 4475 3.4.1) predate mandatory Max-Forwards. Without it
  // the message still parses whole (real phones send ACKs so): a deviation, said apart, not malformed.
  if (msg.method !== undefined && !maxForwards && msg.branch !== null && msg.branch.startsWith(MAGIC_COOKIE)) {
    (msg.deviations ??= []).push(NO_MAX_FORWARDS);
  }
  if (msg.to === null || msg.from === null || msg.callId === null || msg.cseq === null || !sawVia) missingHeaders(msg, sawVia, errors);

  if (msg.method !== undefined && msg.cseq !== null && msg.cseq.method !== msg.method) {
    addError(errors, `CSeq method ${msg.cseq.method} does not match request method ${msg.method}`);
  }
}

/** /\bGMT$/.test(v) without the regex: "GMT" ends the value and no word character ([A-Za-z0-9_]) comes just before it. */
function endsInGmt(v: string): boolean {
  if (!v.endsWith('GMT')) return false;
  if (v.length === 3) return true;
  const c = v.charCodeAt(v.length - 4);
  return !(isAlpha(c) || isDigit(c) || c === 0x5f);
}

function missingHeaders(msg: SipMessage, sawVia: boolean, errors: string[]): void {
  const missing: string[] = [];
  if (msg.to === null) missing.push('To');
  if (msg.from === null) missing.push('From');
  if (msg.callId === null) missing.push('Call-ID');
  if (msg.cseq === null) missing.push('CSeq');
  if (!sawVia) missing.push('Via');
  addError(errors, `missing required header${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`);
}

function headerLabel(id: number): string {
  switch (id) {
    case H_RECORD_ROUTE:
      return 'Record-Route';
    case H_REPLY_TO:
      return 'Reply-To';
    default:
      return 'Route';
  }
}

/** CSeq s[start..end) (a header value, in its own string or in place in the message's text). */
function cseqHeader(msg: SipMessage, s: string, start: number, end: number, errors: string[]): void {
  let k = start;
  let n = 0;
  while (k < end && isDigit(s.charCodeAt(k))) n = n * 10 + (s.charCodeAt(k++) - 0x30);
  let j = k;
  while (j < end && isWsp(s.charCodeAt(j))) j++;
  const known = end > j ? constantIn(METHODS_BY_SHAPE, s, j, end) : null;
  const method = known ?? s.slice(j, end);
  let methodOk = method.length > 0 && j > k;
  // A known method is a token: only other words are checked.
  if (known === null) for (let i = 0; i < method.length && methodOk; i++) if (!isToken(method.charCodeAt(i))) methodOk = false;
  if (k === start || !methodOk) {
    addError(errors, `malformed CSeq "${clip(s.slice(start, end))}"`);
    return;
  }
  // Exact up to 15 digits; a longer run is rounded as Number() rounds it.
  const seq = k - start <= 15 ? n : Number(s.slice(start, k));
  if (msg.cseq !== null) {
    if (msg.cseq.seq !== seq || msg.cseq.method !== method) addError(errors, 'more than one CSeq');
    return;
  }
  if (seq > MAX_CSEQ) addError(errors, `CSeq number ${clip(s.slice(start, k))} exceeds 2^31-1`);
  msg.cseq = { seq, method };
}

/** Content-Length s[start..end), as cseqHeader reads its value. */
function contentLengthHeader(msg: SipMessage, s: string, start: number, end: number, errors: string[]): void {
  const n = end - start <= MAX_CONTENT_LENGTH_DIGITS ? digitsValue(s, start, end) : -1;
  if (n < 0) {
    addError(errors, `Content-Length "${clip(s.slice(start, end))}" is not a non-negative integer`);
    return;
  }
  if (msg.contentLength === null) msg.contentLength = n;
  else if (msg.contentLength !== n) addError(errors, 'more than one Content-Length');
}

const SDP_TYPE = 'application/sdp';

/** mediaType() of the Content-Type s[start..end) (ASCII), read in place when it is application/sdp. */
function mediaTypeIn(s: string, start: number, end: number): string {
  let e = s.indexOf(';', start);
  if (e < 0 || e > end) e = end;
  let a = start;
  while (a < e && isWsp(s.charCodeAt(a))) a++;
  while (e > a && isWsp(s.charCodeAt(e - 1))) e--;
  if (e - a === SDP_TYPE.length) {
    let same = true;
    for (let k = 0; k < SDP_TYPE.length && same; k++) {
      const c = s.charCodeAt(a + k);
      const w = SDP_TYPE.charCodeAt(k);
      // toLowerCase() on ASCII changes A-Z only.
      same = c === w || (c >= 0x41 && c <= 0x5a && (c | CASE_BIT) === w);
    }
    if (same) return SDP_TYPE;
  }
  return mediaType(s.slice(start, end));
}

function leadingDigits(v: string): string {
  let k = 0;
  while (k < v.length && isDigit(v.charCodeAt(k))) k++;
  return v.slice(0, k);
}

/** A number of at most `max` in s[start..end); `required`: a value that is not digits is an error too. */
function scalar(s: string, start: number, end: number, label: string, max: number, required: boolean, errors: string[]): void {
  const n = digitsValue(s, start, end);
  if (n < 0) {
    if (required) addError(errors, `${label} "${clip(s.slice(start, end))}" is not a number`);
    return;
  }
  if (n > max) addError(errors, `${label} ${clip(s.slice(start, end))} exceeds ${max}`);
}

function warningHeader(v: string, errors: string[]): void {
  // warning-value = warn-code SP warn-agent SP warn-text, warn-code = 3DIGIT
  for (const part of splitList(v)) {
    const w = part.trim();
    if (w.length === 0) continue;
    const code = leadingDigits(w);
    if (code.length !== 3 || (w.length > 3 && !isWsp(w.charCodeAt(3)))) {
      addError(errors, `Warning code "${clip(w.split(' ')[0])}" is not 3 digits`);
      return;
    }
  }
}

// ---------------------------------------------------------------- addresses and Via

/** Split a header value at top-level commas (not inside quotes or <>). */
function splitList(v: string): string[] {
  // Most values are one element; a native search says so without the scan.
  if (v.indexOf(',') < 0) return [v];
  const out: string[] = [];
  let start = 0;
  let inQuote = false;
  let inAngle = false;
  for (let k = 0; k < v.length; k++) {
    const c = v.charCodeAt(k);
    if (inQuote) {
      if (c === BACKSLASH) k++;
      else if (c === DQUOTE) inQuote = false;
    } else if (c === DQUOTE) {
      inQuote = true;
    } else if (c === LT) {
      inAngle = true;
    } else if (c === GT) {
      inAngle = false;
    } else if (c === COMMA && !inAngle) {
      out.push(v.slice(start, k));
      start = k + 1;
    }
  }
  out.push(v.slice(start));
  return out;
}

function skipWs(s: string, k: number, end: number): number {
  while (k < end && isWsp(s.charCodeAt(k))) k++;
  return k;
}

/** Whether s[start..end) is only SP/HT. */
function isBlank(s: string, start: number, end: number): boolean {
  return skipWs(s, start, end) >= end;
}

/** Index just past the closing quote of the quoted-string opening at `k` (before `end`), or -1. */
function endOfQuoted(s: string, k: number, end: number): number {
  for (let i = k + 1; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === BACKSLASH) i++;
    else if (c === DQUOTE) return i + 1;
  }
  return -1;
}

function hasWsp(s: string, start = 0, end = s.length): boolean {
  if (s === tablessText) {
    // SP is the only whitespace there: one native search (it may read past `end`; an SP there answers no).
    const sp = s.indexOf(' ', start);
    return sp >= 0 && sp < end;
  }
  for (let k = start; k < end; k++) if (isWsp(s.charCodeAt(k))) return true;
  return false;
}

/** The address list s[start..end) (a header value, in its own string or in place in the message's text). */
function addrList(s: string, start: number, end: number, label: string, errors: string[], isContact: boolean): void {
  // Most values are one element: no list is made for them.
  if (!hasComma(s, start, end)) addrListElement(s, start, end, label, errors, isContact);
  else for (const part of splitList(s.slice(start, end))) addrListElement(part, 0, part.length, label, errors, isContact);
}

function hasComma(s: string, start: number, end: number): boolean {
  const c = s.indexOf(',', start);
  return c >= 0 && c < end;
}

/** The expires values of the Contact element being read (reused: elements are read one at a time). */
const contactExpires: string[] = [];

function addrListElement(s: string, start: number, end: number, label: string, errors: string[], isContact: boolean): void {
  if (isBlank(s, start, end)) {
    addError(errors, `${label}: empty list element`);
    return;
  }
  contactExpires.length = 0;
  parseAddr(s, start, end, label, errors, isContact ? 'expires' : null, isContact ? contactExpires : null);
  if (isContact) for (const pv of contactExpires) scalar(pv, 0, pv.length, 'Contact expires', MAX_DELTA_SECONDS, false, errors);
}

/**
 * name-addr / addr-spec followed by ;params (RFC 3261 20.10, 20.20, 20.39).
 * Flags what RFC 4475 3.1.2.6, 3.1.2.13-15 describe; returns the first
 * value of the parameter `want` (see params()).
 */
function parseAddr(s: string, start: number, n: number, label: string, errors: string[], want: string | null, every: string[] | null = null): string | null {
  let i = skipWs(s, start, n);
  if (i >= n) {
    addError(errors, `${label}: empty value`);
    return null;
  }
  if (s.charCodeAt(i) === DQUOTE) {
    const q = endOfQuoted(s, i, n);
    if (q < 0) {
      addError(errors, `${label}: unterminated quoted string in display name`);
      return null;
    }
    i = skipWs(s, q, n);
    if (i >= n || s.charCodeAt(i) !== LT) {
      addError(errors, `${label}: quoted display name not followed by <URI>`);
      return null;
    }
    i = angleAddr(s, i, n, label, errors);
  } else {
    // An unquoted display name is tokens and LWS only (RFC 3261 25.1 display-name).
    let k = i;
    let sawWs = false;
    while (k < n) {
      const c = s.charCodeAt(k);
      if (isWsp(c)) sawWs = true;
      else if (!isToken(c)) break;
      k++;
    }
    const stop = k < n ? s.charCodeAt(k) : -1;
    if (stop === LT) {
      i = angleAddr(s, k, n, label, errors);
    } else if (stop === COLON && !sawWs) {
      i = bareAddrSpec(s, i, n, label, errors);
    } else {
      const lt = s.indexOf('<', k);
      if (lt >= 0 && lt < n) {
        addError(errors, `${label}: non-token characters in unquoted display name`);
        i = angleAddr(s, lt, n, label, errors);
      } else {
        i = bareAddrSpec(s, i, n, label, errors);
      }
    }
  }
  if (i < 0) return null;
  return params(s, i, n, label, errors, want, every);
}

/** `<URI>` at k (before `end`); returns the index after ">", or -1. */
function angleAddr(s: string, k: number, end: number, label: string, errors: string[]): number {
  const gt = s.indexOf('>', k + 1);
  if (gt < 0 || gt >= end) {
    addError(errors, `${label}: "<" without ">"`);
    return -1;
  }
  // The URI is s[k + 1..gt), read in place.
  if (hasWsp(s, k + 1, gt)) addError(errors, `${label}: whitespace inside addr-spec`);
  else if (schemeEnd(s, k + 1, gt) < 0) addError(errors, `${label}: URI without a scheme`);
  return gt + 1;
}

/** An addr-spec without <>: ";" starts header params, so "?" and "," cannot appear (RFC 3261 20). */
function bareAddrSpec(s: string, k: number, end: number, label: string, errors: string[]): number {
  let e = s.indexOf(';', k);
  if (e < 0 || e > end) e = end;
  const uri = s.slice(k, e).trim();
  if (hasWsp(uri)) addError(errors, `${label}: whitespace inside addr-spec`);
  else if (uri.indexOf('?') >= 0 || uri.indexOf(',') >= 0) {
    addError(errors, `${label}: URI with headers or commas must be enclosed in <>`);
  } else if (schemeEnd(uri) < 0) addError(errors, `${label}: URI without a scheme`);
  return e;
}

/**
 * `*( SEMI generic-param )` from k; empty params are RFC 4475 3.1.2.1's
 * "extraneous separators". Every parameter is checked; only the values of the
 * one named `want` (lowercase letters) are kept: the first is returned, and
 * each goes to `every` when given. No strings are made for the others.
 */
function params(s: string, k: number, n: number, label: string, errors: string[], want: string | null, every: string[] | null = null): string | null {
  let found: string | null = null;
  for (;;) {
    k = skipWs(s, k, n);
    if (k >= n) return found;
    if (s.charCodeAt(k) !== SEMI) {
      addError(errors, `${label}: unexpected "${clip(s.slice(k, n))}" after address`);
      return found;
    }
    k = skipWs(s, k + 1, n);
    const ns = k;
    while (k < n && isToken(s.charCodeAt(k))) k++;
    if (k === ns) {
      addError(errors, `${label}: empty parameter`);
      return found;
    }
    const ne = k;
    const wanted = want !== null && nameIs(s, ns, ne, want);
    k = skipWs(s, k, n);
    let value = '';
    if (k < n && s.charCodeAt(k) === EQUALS) {
      k = skipWs(s, k + 1, n);
      if (k < n && s.charCodeAt(k) === DQUOTE) {
        const q = endOfQuoted(s, k, n);
        if (q < 0) {
          addError(errors, `${label}: unterminated quoted parameter value`);
          return found;
        }
        if (wanted) value = s.slice(k, q);
        k = q;
      } else {
        const vs = k;
        while (k < n) {
          const c = s.charCodeAt(k);
          if (c === SEMI || c === COMMA || isWsp(c)) break;
          k++;
        }
        if (k === vs) {
          addError(errors, `${label}: parameter ${s.slice(ns, ne).toLowerCase()} has an empty value`);
          return found;
        }
        if (wanted) value = s.slice(vs, k);
      }
    }
    if (wanted) {
      found ??= value;
      every?.push(value);
    }
  }
}

/** Whether s[start..end) is `lower` in any case; `lower` holds only lowercase letters (names are ASCII tokens). */
function nameIs(s: string, start: number, end: number, lower: string): boolean {
  if (end - start !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) if ((s.charCodeAt(start + i) | CASE_BIT) !== lower.charCodeAt(i)) return false;
  return true;
}

/** Via s[start..end): sent-protocol LWS sent-by *( SEMI via-params ), comma-separated; `top` (the message, for the top Via) gets the first element's branch and sent-by. */
function viaHeader(s: string, start: number, end: number, errors: string[], top: SipMessage | null): void {
  // Most values are one element: no list is made for them.
  if (!hasComma(s, start, end)) {
    viaElement(s, start, end, top, errors);
    return;
  }
  for (const part of splitList(s.slice(start, end))) {
    viaElement(part, 0, part.length, top, errors);
    top = null;
  }
}

/** Where the sent-by viaSentBy last parsed starts (it returns where it ends). */
let sentByStart = 0;

/** One Via of a list; only the top one's branch and sent-by are kept (into `top`), the others' parameters are checked. */
function viaElement(s: string, start: number, end: number, top: SipMessage | null, errors: string[]): void {
  if (isBlank(s, start, end)) {
    addError(errors, 'Via: empty list element');
    return;
  }
  const k = viaSentBy(s, start, end, errors);
  if (k < 0) return;
  const branch = params(s, k, end, 'Via', errors, top !== null ? 'branch' : null);
  if (top === null) return;
  top.branch = branch;
  top.sentBy = s.slice(sentByStart, k);
}

const VIA_PROTOCOL = 'SIP/2.0/';

/** Parses "SIP / 2.0 / UDP host[:port]" (SLASH and COLON allow SWS); returns the index after it, or -1. */
function viaSentBy(s: string, start: number, n: number, errors: string[]): number {
  let k = skipWs(s, start, n);
  let part = 0;
  // Nearly every Via: "SIP/2.0/" is two tokens and their slashes, as the loop would read them.
  if (n - k > VIA_PROTOCOL.length && s.startsWith(VIA_PROTOCOL, k)) {
    k += VIA_PROTOCOL.length - 1;
    part = 2;
  }
  for (; part < 3; part++) {
    if (part > 0) {
      k = skipWs(s, k, n);
      if (k >= n || s.charCodeAt(k) !== SLASH) {
        addError(errors, 'Via: malformed sent-protocol');
        return -1;
      }
      k = skipWs(s, k + 1, n);
    }
    const ts = k;
    while (k < n && isToken(s.charCodeAt(k))) k++;
    if (k === ts) {
      addError(errors, 'Via: malformed sent-protocol');
      return -1;
    }
  }
  const ws = k;
  k = skipWs(s, k, n);
  if (k === ws || k >= n) {
    addError(errors, 'Via: missing sent-by');
    return -1;
  }
  sentByStart = k;
  if (s.charCodeAt(k) === LBRACKET) {
    const rb = s.indexOf(']', k);
    if (rb < 0 || rb >= n) {
      addError(errors, 'Via: unterminated IPv6 reference');
      return -1;
    }
    k = rb + 1;
  } else {
    const hs = k;
    while (k < n) {
      const c = s.charCodeAt(k);
      if (c === SEMI || c === COLON || c === COMMA || isWsp(c)) break;
      k++;
    }
    if (k === hs) {
      addError(errors, 'Via: missing sent-by host');
      return -1;
    }
  }
  const afterHost = k;
  k = skipWs(s, k, n);
  if (k < n && s.charCodeAt(k) === COLON) {
    k = skipWs(s, k + 1, n);
    const ps = k;
    while (k < n && isDigit(s.charCodeAt(k))) k++;
    if (k === ps) {
      addError(errors, 'Via: malformed port');
      return -1;
    }
    return k;
  }
  return afterHost;
}
