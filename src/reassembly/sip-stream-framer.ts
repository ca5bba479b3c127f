// Cuts SIP messages out of one direction of a TCP byte stream (RFC 3261
// 18.3: on a stream, Content-Length is what ends a message). The grammar lives
// in dissectors/sip.ts; this file only decides where messages start and stop.
//
// Chunks handed to push() are views into a buffer the caller reuses, so every
// byte kept across calls, and every emitted message, is copied.

import type { SipMessage } from '../../dissectors/types.js';
import { MAX_START_LINE, looksLikeSip, parseSipMessage, sipStreamExtent, startLineIn } from '../../dissectors/sip.js';

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const DEFAULT_MAX_BUFFER = 256 * 1024;
const INITIAL_CAPACITY = 4096;
/**
 * A Content-Length beyond this is no body a SIP peer sends but a corrupt
 * value: skipping that many bytes would swallow the rest of the connection,
 * so it is treated as a length that cannot be used (resynchronise).
 */
const IMPLAUSIBLE_BODY = 64 * 1024 * 1024;

export interface SipStreamFramerOptions {
  /** Most bytes held while waiting for the rest of a message (default 256 KiB). */
  maxBuffer?: number;
}

export class SipStreamFramer {
  /** Bytes skipped because they could not start a SIP message, or belonged to one too large to hold. */
  garbageBytes = 0;
  /** RFC 5626 CRLF keep-alives ("\r\n\r\n" pings, "\r\n" pongs) seen between messages. */
  keepalives = 0;
  /** Bytes of partial messages dropped by gap(). */
  droppedBytes = 0;
  /** Messages emitted so far. */
  messages = 0;

  private readonly maxBuffer: number;
  private buf = new Uint8Array(0);
  private len = 0;
  /** Body bytes of an oversize message still to be discarded. */
  private skip = 0;
  /** Inside a line that cannot start a message: discard through its LF. */
  private discardLine = false;
  /** Since the last garbage, blank lines are more garbage, not keep-alives. */
  private afterGarbage = false;
  /** After a message whose end is unknown (a Content-Length that is not a length): look for the next start line, anywhere in a line. */
  private resync = false;

  constructor(opts: SipStreamFramerOptions = {}) {
    const max = opts.maxBuffer ?? DEFAULT_MAX_BUFFER;
    this.maxBuffer = Math.max(1024, max);
  }

  /** Bytes held while waiting for the rest of a message. */
  get buffered(): number {
    return this.len;
  }

  /** Feed the next in-order bytes; returns the messages they complete. */
  push(chunk: Uint8Array): SipMessage[] {
    const out: SipMessage[] = [];
    let data = chunk;
    if (this.skip > 0) {
      const n = Math.min(this.skip, data.length);
      this.skip -= n;
      this.garbageBytes += n;
      data = data.subarray(n);
    }
    if (data.length === 0) return out;
    // An RFC 5626 ping ("\r\n\r\n") or pong ("\r\n") is written on its own: as a whole
    // segment between messages it is a keepalive even after garbage, never garbage itself.
    if (this.len === 0 && !this.discardLine && !this.resync && isCrlfKeepalive(data)) {
      this.keepalives++;
      return out;
    }
    let end: number;
    if (this.len === 0) {
      end = data.length;
    } else {
      this.append(data);
      data = this.buf;
      end = this.len;
    }
    const pos = this.drain(data, 0, end, out);
    this.keep(data, pos, end);
    return out;
  }

  /** The reassembler lost bytes: whatever was half-read is gone; find the next start line. */
  gap(): void {
    this.droppedBytes += this.len;
    this.len = 0;
    this.skip = 0;
    this.discardLine = false;
    this.afterGarbage = true;
  }

  private drain(data: Uint8Array, pos: number, end: number, out: SipMessage[]): number {
    while (pos < end) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, end - pos);
        this.skip -= n;
        this.garbageBytes += n;
        pos += n;
        continue;
      }
      if (this.resync) {
        pos = this.resyncFrom(data, pos, end);
        if (this.resync) return pos;
        continue;
      }
      if (this.discardLine) {
        let q = pos;
        while (q < end && data[q] !== LF) q++;
        if (q >= end) {
          this.garbageBytes += end - pos;
          return end;
        }
        this.garbageBytes += q + 1 - pos;
        pos = q + 1;
        this.discardLine = false;
        this.afterGarbage = true;
        continue;
      }
      const c = data[pos];
      if (c === CR || c === LF) {
        // A lone CR at the end may be the first half of a CRLF.
        if (c === CR && pos + 1 >= end) return pos;
        let n = 1;
        if (c === CR && data[pos + 1] === LF) {
          n = pos + 3 < end && data[pos + 2] === CR && data[pos + 3] === LF ? 4 : 2;
        }
        if (this.afterGarbage) this.garbageBytes += n;
        else this.keepalives++;
        pos += n;
        continue;
      }
      const lineLimit = Math.min(end, pos + MAX_START_LINE);
      let lf = pos;
      while (lf < lineLimit && data[lf] !== LF) lf++;
      if (lf >= lineLimit) {
        // No whole first line yet: wait, unless it already cannot be a start line.
        if (end - pos >= MAX_START_LINE || c === SP || !couldStartLine(c)) this.discardLine = true;
        else return pos;
        continue;
      }
      if (!looksLikeSip(data, pos, lf + 1)) {
        this.discardLine = true;
        continue;
      }
      const ext = sipStreamExtent(data, pos, end);
      if (ext === null) {
        if (end - pos <= this.maxBuffer) return pos;
        // Headers never ended within the cap: drop the start line and resync on what follows.
        this.discardLine = true;
        continue;
      }
      if (ext.unusableLength || ext.bodyLength > IMPLAUSIBLE_BODY) {
        // Where the body ends is unknown: the headers are the message, flagged; what follows is skipped to the next start line.
        const m = this.emit(data, pos, ext.headerLength);
        appendError(m, 'Content-Length unusable on a stream: the end of the message is unknown; resynchronised on the next start line');
        out.push(m);
        pos += ext.headerLength;
        this.resync = true;
        continue;
      }
      const total = ext.headerLength + ext.bodyLength;
      if (total > this.maxBuffer) {
        pos = this.oversize(data, pos, end, ext.headerLength, ext.bodyLength, out);
        continue;
      }
      if (total > end - pos) return pos;
      out.push(this.emit(data, pos, total));
      pos += total;
    }
    return pos;
  }

  /**
   * Skip to the next start line, which may begin mid-line (the unknown body
   * glued to it); returns where it begins, or where to wait for more bytes
   * (a line not ended yet: a start line in it begins in its last MAX_START_LINE bytes).
   */
  private resyncFrom(data: Uint8Array, pos: number, end: number): number {
    while (pos < end) {
      let lf = pos;
      while (lf < end && data[lf] !== LF) lf++;
      if (lf >= end) {
        const keep = Math.max(pos, end - MAX_START_LINE);
        this.garbageBytes += keep - pos;
        return keep;
      }
      const k = startLineIn(data, pos, lf + 1);
      if (k >= 0) {
        this.garbageBytes += k - pos;
        this.resync = false;
        return k;
      }
      this.garbageBytes += lf + 1 - pos;
      pos = lf + 1;
    }
    return pos;
  }

  /** Report the headers of a message whose body is too big to hold, then skip the body. */
  private oversize(
    data: Uint8Array,
    pos: number,
    end: number,
    headerLength: number,
    bodyLength: number,
    out: SipMessage[],
  ): number {
    const m = this.emit(data, pos, headerLength);
    m.raw = null;
    appendError(m, `body of ${bodyLength} bytes exceeds the ${this.maxBuffer}-byte framing limit and was skipped`);
    out.push(m);
    const start = pos + headerLength;
    const have = Math.min(bodyLength, end - start);
    this.garbageBytes += have;
    this.skip = bodyLength - have;
    return start + have;
  }

  private emit(data: Uint8Array, pos: number, total: number): SipMessage {
    const copy = new Uint8Array(total);
    copy.set(data.subarray(pos, pos + total));
    const m = parseSipMessage(copy, 0, total);
    if (!m.headers.some((h) => h.name === 'content-length')) {
      appendError(m, 'Content-Length missing (required on stream transports)');
    }
    this.messages++;
    this.afterGarbage = false;
    return m;
  }

  private append(chunk: Uint8Array): void {
    const need = this.len + chunk.length;
    if (need > this.buf.length) {
      let cap = Math.max(INITIAL_CAPACITY, this.buf.length * 2);
      while (cap < need) cap *= 2;
      const next = new Uint8Array(cap);
      next.set(this.buf.subarray(0, this.len));
      this.buf = next;
    }
    this.buf.set(chunk, this.len);
    this.len = need;
  }

  /** Hold the unconsumed tail [pos, end) of `data` (which may be the caller's chunk) for the next push. */
  private keep(data: Uint8Array, pos: number, end: number): void {
    const rest = end - pos;
    if (data === this.buf) {
      if (pos > 0 && rest > 0) this.buf.copyWithin(0, pos, end);
      this.len = rest;
      // Give back memory after a large message has gone through.
      if (rest === 0 && this.buf.length > this.maxBuffer) this.buf = new Uint8Array(0);
      return;
    }
    this.len = 0;
    if (rest > 0) this.append(data.subarray(pos, end));
  }
}

function isCrlfKeepalive(d: Uint8Array): boolean {
  return (d.length === 2 || (d.length === 4 && d[2] === CR && d[3] === LF)) && d[0] === CR && d[1] === LF;
}

/** RFC 3261 token characters, the only bytes a start line can begin with. */
function couldStartLine(c: number): boolean {
  return (
    (c >= 0x30 && c <= 0x39) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    c === 0x2d ||
    c === 0x2e ||
    c === 0x21 ||
    c === 0x25 ||
    c === 0x2a ||
    c === 0x5f ||
    c === 0x2b ||
    c === 0x60 ||
    c === 0x27 ||
    c === 0x7e
  );
}

function appendError(m: SipMessage, e: string): void {
  m.error = m.error === undefined ? e : `${m.error}; ${e}`;
}
