// Streams a capture (file, pipe, '-' for stdin, gzip either way) through the
// right record parser with reused buffers: memory stays flat whatever the size.

import { closeSync, createReadStream, fstatSync, openSync, read, readSync, statSync } from 'node:fs';
import { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { PcapParser, isKuznetsovPcap, pcapMagic } from './pcap.js';
import { PCAPNG_SHB, PcapngParser } from './pcapng.js';
import { gunzipMembers, type GzipProblem } from './gzip-members.js';
import { errnoCode, ioReason } from '../common/io-errors.js';
import { CaptureError, newFacts, type CaptureFacts, type FrameEmitter, type FrameHandler, type FrameSink, type ReadProgress, type RecordParser } from './types.js';

const CHUNK = 8 * 1024 * 1024;

function hexStart(b: Uint8Array): string {
  return Array.from(b.subarray(0, 4), (x) => x.toString(16).padStart(2, '0')).join(' ');
}

function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

/** Pick the parser from the first four bytes. */
function parserFor(source: string, head: Uint8Array, facts: CaptureFacts, emit: FrameEmitter): RecordParser {
  if (pcapMagic(head)) return new PcapParser(source, facts, emit);
  const be = ((head[0] << 24) | (head[1] << 16) | (head[2] << 8) | head[3]) >>> 0;
  if (be === PCAPNG_SHB) return new PcapngParser(source, facts, emit);
  if (isKuznetsovPcap(head)) throw new CaptureError(`${source}: modified (Kuznetsov) pcap is not supported; convert it with editcap -F pcap`);
  throw new CaptureError(`${source}: not a pcap or pcapng file (starts with ${hexStart(head)})`);
}

/** Buffers bytes, hands whole records to the parser, keeps the partial tail. */
class RecordFeeder {
  /** Allocated on first use: a plain file brings buffers of its own (feedFile). */
  buf = new Uint8Array(0);
  start = 0;
  end = 0;
  /** File offset of buf[0]. */
  base = 0;
  parser: RecordParser | null = null;

  /** The caller has all it wants (FrameCounter threw STOP_READING): no more is read. */
  stopped = false;

  constructor(readonly source: string, readonly facts: CaptureFacts, private readonly emit: FrameEmitter) {}

  /** Make room for at least `n` more bytes after `end`. */
  reserve(n: number): void {
    if (this.buf.length - this.end >= n) return;
    const live = this.end - this.start;
    if (live + n > this.buf.length) {
      const grown = new Uint8Array(Math.max(this.buf.length * 2, live + n, CHUNK));
      grown.set(this.buf.subarray(this.start, this.end));
      this.buf = grown;
    } else this.buf.copyWithin(0, this.start, this.end);
    this.base += this.start;
    this.start = 0;
    this.end = live;
  }

  /** Parse what is buffered. */
  drain(): void {
    if (!this.parser) {
      if (this.end - this.start < 4) return;
      this.parser = parserFor(this.source, this.buf.subarray(this.start, this.start + 4), this.facts, this.emit);
    }
    try {
      this.start = this.parser.parse(this.buf, this.start, this.end, this.base);
    } catch (e) {
      if (e !== STOP_READING) throw e;
      this.stopped = true;
      this.start = this.end;
    }
  }

  push(chunk: Uint8Array): void {
    this.reserve(chunk.length);
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
    this.drain();
  }

  finish(): void {
    // Stopped early: what is left was not wanted, not cut.
    if (this.stopped) return;
    const left = this.end - this.start;
    if (!this.parser) {
      if (this.facts.format === null && left === 0) throw new CaptureError(`${this.source}: empty file`);
      throw new CaptureError(`${this.source}: not a pcap or pcapng file (only ${left} bytes)`);
    }
    const gzipCut = gzipProblems.get(this.facts)?.text;
    const cut = gzipCut ?? 'file cut short';
    if (left > 0) {
      const need = this.parser.needed();
      const where = this.facts.gzip ? ' of the unpacked capture' : '';
      this.facts.warnings.push(
        `${this.source}: ${cut} at byte ${this.base + this.start}${where}: the last record has ${left} of ${need} bytes; ${this.facts.packets} complete packets read`,
      );
    } else if (gzipCut) this.facts.warnings.push(`${this.source}: ${cut} after ${this.facts.packets} complete packets`);
  }
}

/** Thrown out of a parser's loop when the caller has all it wants; RecordFeeder catches it. */
const STOP_READING = Symbol('stop reading');

/** A frame older than one before it by more than this is out of time order (interfaces interleave by milliseconds). */
const OUT_OF_ORDER_NS = 1e9;

/**
 * Counts frames into the facts on the way to the sink: its fast lane first,
 * if it has one, else its frame handler with an `info` and a view of its own.
 * The timestamp span is kept here as whole (seconds, nanoseconds) pairs,
 * compared as integers (no float division or boxed number per packet), and
 * written to the facts as seconds by flush(), which readCapture calls
 * however the read ends.
 */
class FrameCounter {
  private any = false;
  /** Frames older than a frame before them by more than OUT_OF_ORDER_NS, the first of them, and the largest step back. */
  private backFrames = 0;
  private backFirst = 0;
  private backMaxSec = 0;
  private firstSec = 0;
  private firstNsec = 0;
  private lastSec = 0;
  private lastNsec = 0;
  private readonly onFrame: FrameHandler;
  private readonly sink: FrameSink | null;

  /** `until`, asked after each frame: true ends the read (STOP_READING). */
  constructor(private readonly source: string, private readonly facts: CaptureFacts, to: FrameHandler | FrameSink, private readonly until: (() => boolean) | null = null) {
    this.onFrame = typeof to === 'function' ? to : to.frame;
    this.sink = typeof to === 'function' ? null : to;
  }

  readonly emit: FrameEmitter = (info, buf, start) => {
    const facts = this.facts;
    facts.packets++;
    facts.bytesCaptured += info.caplen;
    if (info.caplen < info.len) facts.truncatedPackets++;
    const sec = info.tsSec;
    const nsec = info.tsNsec;
    // Simple packet blocks have no timestamp (0): they say nothing about the span.
    if (sec !== 0 || nsec !== 0) {
      if (!this.any) {
        this.any = true;
        this.firstSec = this.lastSec = sec;
        this.firstNsec = this.lastNsec = nsec;
      } else if (sec > this.lastSec || (sec === this.lastSec && nsec > this.lastNsec)) {
        this.lastSec = sec;
        this.lastNsec = nsec;
      } else {
        if (sec < this.firstSec || (sec === this.firstSec && nsec < this.firstNsec)) {
          this.firstSec = sec;
          this.firstNsec = nsec;
        }
        const back = (this.lastSec - sec) * 1e9 + (this.lastNsec - nsec);
        if (back > OUT_OF_ORDER_NS) this.outOfOrder(back / 1e9, facts.packets);
      }
    }
    // A plain view (not subarray(), which looks up the species constructor every call).
    if (this.sink === null) this.onFrame({ ...info }, new Uint8Array(buf.buffer, buf.byteOffset + start, info.caplen));
    // A sink takes the parser's own info, as frameInPlace does (FrameSink): no copy per record.
    else if (!this.sink.frameInPlace(info, buf, start)) this.onFrame(info, new Uint8Array(buf.buffer, buf.byteOffset + start, info.caplen));
    if (this.until !== null && this.until()) throw STOP_READING;
  };

  private outOfOrder(seconds: number, frame: number): void {
    if (this.backFrames++ === 0) this.backFirst = frame;
    if (seconds > this.backMaxSec) this.backMaxSec = seconds;
  }

  flush(): void {
    this.sink?.flush();
    if (!this.any) return;
    const facts = this.facts;
    if (this.backFrames > 0) {
      facts.warnings.push(
        `${this.source}: not in time order: ${this.backFrames} frame${this.backFrames === 1 ? ' is' : 's are'} more than 1 s older than a frame before ${this.backFrames === 1 ? 'it' : 'them'} (the first is frame ${this.backFirst}, at most ${this.backMaxSec.toFixed(3)} s back); ` +
        'heartbeat and SIP timings assume time order (captures appended with mergecap -a? mergecap without -a merges by time)',
      );
    }
    const first = this.firstSec + this.firstNsec / 1e9;
    const last = this.lastSec + this.lastNsec / 1e9;
    if (facts.firstTs === null || first < facts.firstTs) facts.firstTs = first;
    if (facts.lastTs === null || last > facts.lastTs) facts.lastTs = last;
  }
}

/** A plain file is read in chunks of this size, into each of two buffers in turn... */
const READ_AHEAD = 4 * 1024 * 1024;
/** ...behind room for the partial record the last chunk left: a record of any ordinary size (caplen up to 256 KiB). */
const HEADROOM = 256 * 1024 + 64;

/** The next bytes of `fd`, from where the last read ended. */
function readNext(fd: number, buf: Uint8Array, at: number, length: number): Promise<number> {
  return new Promise((resolve, reject) => read(fd, buf, at, length, null, (e, n) => (e ? reject(e) : resolve(n))));
}

/**
 * A plain file, read ahead: the next chunk is read on libuv's thread pool,
 * behind HEADROOM in a second buffer, while this one is parsed. The partial
 * record the parse leaves is copied into the headroom and the buffers swap,
 * so reading costs the parsing thread nothing and no chunk is copied twice.
 * A record longer than the headroom takes the feeder's slow way: the chunk
 * is appended to it (growing it as needed).
 */
async function feedFile(feeder: RecordFeeder, fd: number, progress: ReadProgress | null): Promise<void> {
  let spare = new Uint8Array(HEADROOM + READ_AHEAD);
  feeder.buf = new Uint8Array(HEADROOM + READ_AHEAD);
  feeder.start = feeder.end = HEADROOM;
  feeder.base = -HEADROOM;
  let position = 0;
  let got = readSync(fd, feeder.buf, HEADROOM, READ_AHEAD, null);
  while (got > 0) {
    position += got;
    if (progress !== null) progress.bytes = position;
    feeder.end += got;
    const next = readNext(fd, spare, HEADROOM, READ_AHEAD);
    try {
      feeder.drain();
    } catch (e) {
      // Never leave a read in flight on a descriptor the caller is about to close.
      await next.catch(() => 0);
      throw e;
    }
    got = await next;
    const tail = feeder.end - feeder.start;
    if (got === 0 || feeder.stopped) break;
    if (tail <= HEADROOM) {
      spare.set(feeder.buf.subarray(feeder.start, feeder.end), HEADROOM - tail);
      const parsed = feeder.buf;
      feeder.buf = spare;
      spare = parsed.length >= HEADROOM + READ_AHEAD ? parsed : new Uint8Array(HEADROOM + READ_AHEAD);
      feeder.start = HEADROOM - tail;
      feeder.end = HEADROOM;
      feeder.base = position - HEADROOM;
    } else {
      feeder.reserve(got);
      feeder.buf.set(spare.subarray(HEADROOM, HEADROOM + got), feeder.end);
    }
  }
}

function openError(path: string, e: unknown): CaptureError {
  return new CaptureError(`${path}: cannot read: ${ioReason(e)}`);
}

/** A read that failed part-way (EIO from a bad disk or /proc/self/mem) is a CaptureError naming the input, like one that could not start. */
function readError(name: string, e: unknown): unknown {
  return !(e instanceof CaptureError) && errnoCode(e) !== null ? openError(name, e) : e;
}

async function feedStream(feeder: RecordFeeder, stream: AsyncIterable<Uint8Array>): Promise<void> {
  const it = stream[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = await it.next();
      if (next.done) return;
      try {
        feeder.push(next.value);
      } catch (e) {
        if (!(e instanceof CaptureError) || !(await corruptGzipBefore(feeder, it, e))) throw e;
        return;
      }
      if (feeder.stopped) return;
    }
  } finally {
    // Closes the stream (stdin, a pipe, a gunzip) when the loop is left early.
    await it.return?.();
  }
}

/**
 * A record the parser refused in unpacked gzip data may be what a corrupt
 * member unpacked before zlib could tell (deflate finds a fault some bytes
 * after it): read the gzip data on, unparsed, and if zlib does find a fault,
 * that is the one warning (the records before it stand), not the record.
 */
async function corruptGzipBefore(feeder: RecordFeeder, it: AsyncIterator<Uint8Array>, refused: CaptureError): Promise<boolean> {
  if (!feeder.facts.gzip) return false;
  while (!(await it.next()).done);
  const problem = gzipProblems.get(feeder.facts);
  if (problem?.kind !== 'corrupt') return false;
  gzipProblems.delete(feeder.facts);
  const why = refused.message.startsWith(`${feeder.source}: `) ? refused.message.slice(feeder.source.length + 2) : refused.message;
  feeder.facts.warnings.push(`${feeder.source}: ${problem.text}; what it unpacked before was already wrong (${why}); ${feeder.facts.packets} complete packets read`);
  feeder.stopped = true;
  return true;
}

/** Inputs whose gzip data ended early, and how: their feeder's finish() says so, in its one warning. */
const gzipProblems = new WeakMap<CaptureFacts, { kind: GzipProblem['kind']; text: string }>();

function gzipProblemText(p: GzipProblem): string {
  switch (p.kind) {
    case 'cut':
      return 'gzip data cut short (the compressed file ends mid-stream)';
    case 'garbage':
      return `trailing garbage after the gzip data (from byte ${p.at} of the compressed file; ignored, as gzip -d does)`;
    case 'corrupt':
      return `corrupt gzip data (member ${p.member}, at byte ${p.at} of the compressed file: ${p.why})`;
  }
}

/**
 * The unpacked bytes of a gzip stream, member by member (gzip-members.ts).
 * A stream that ends mid-way (a copy of a capture still being written), a
 * corrupt member or garbage after the last one: every record unpacked before
 * it is read, then the feeder's one warning says what happened, as for a cut
 * plain file. Nothing unpacked at all is an error naming the input.
 */
async function* gunzipped(name: string, raw: AsyncIterable<Uint8Array>, facts: CaptureFacts): AsyncGenerator<Uint8Array> {
  facts.gzip = true;
  let unpacked = 0;
  let problem: GzipProblem | null = null;
  for await (const b of gunzipMembers(raw, (p) => (problem = p))) {
    unpacked += b.length;
    yield b;
  }
  if (problem === null) return;
  if (unpacked === 0 && (problem as GzipProblem).kind !== 'cut') throw new CaptureError(`${name}: ${gzipProblemText(problem)}; nothing could be unpacked`);
  gzipProblems.set(facts, { kind: (problem as GzipProblem).kind, text: gzipProblemText(problem) });
}

/** Chunks of a stream (stdin, a pipe), gunzipped when they start with the gzip magic. */
async function* sniffedChunks(name: string, source: AsyncIterable<Uint8Array>, facts: CaptureFacts): AsyncGenerator<Uint8Array> {
  const it = source[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done) return;
  const rest = (async function* () {
    yield first.value as Uint8Array;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value as Uint8Array;
    }
  })();
  if (isGzip(first.value as Uint8Array)) yield* gunzipped(name, rest, facts);
  else yield* rest;
}

/** stdin as a stream; a terminal there is a user who forgot the pipe, not a capture to wait for. */
function stdinSource(): AsyncIterable<Uint8Array> {
  if (process.stdin.isTTY) throw new CaptureError("stdin: a terminal, not a capture: pipe one in (tcpdump -w - | ucprobe dissect -) or name a file");
  return process.stdin;
}

/** stdin's bytes, gunzipped when gzip. */
function stdinChunks(facts: CaptureFacts): AsyncGenerator<Uint8Array> {
  return sniffedChunks('stdin', stdinSource(), facts);
}

/** A file's bytes in small chunks, gunzipped when gzip: for readers that pace themselves (tui --replay). */
export async function* fileChunks(path: string, facts: CaptureFacts, chunkSize = 64 * 1024): AsyncGenerator<Uint8Array> {
  let isFile: boolean;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    isFile = st.isFile();
  } catch (e) {
    throw openError(path, e);
  }
  // A pipe (<(tcpdump -w -)) cannot be read twice: sniff its first chunk instead.
  if (!isFile) {
    yield* sniffedChunks(path, createReadStream(path, { highWaterMark: chunkSize }), facts);
    return;
  }
  const head = new Uint8Array(2);
  try {
    const fd = openSync(path, 'r');
    readSync(fd, head, 0, 2, 0);
    closeSync(fd);
  } catch (e) {
    throw openError(path, e);
  }
  const raw = createReadStream(path, { highWaterMark: chunkSize });
  if (isGzip(head)) yield* gunzipped(path, raw, facts);
  else yield* raw;
}

/** The chunks of `source`, counted into `progress` as they pass (the bytes as stored, before any gunzip). */
async function* counted(source: AsyncIterable<Uint8Array>, progress: ReadProgress | null): AsyncGenerator<Uint8Array> {
  if (progress === null) return yield* source;
  for await (const chunk of source) {
    progress.bytes += chunk.length;
    yield chunk;
  }
}

/** Pipes being read (a FIFO, <(tcpdump -w -)): a read waiting on one waits until its writer closes it, unless interruptPipeReads() ends it. */
const pipeReads = new Set<Readable>();

/** Ctrl-C: end every wait on a pipe this thread is reading (the reader knows why: its `until` says stop). */
export function interruptPipeReads(): void {
  for (const s of pipeReads) s.destroy();
}

/**
 * Read a descriptor that is not a file. A pipe is read as a socket (as
 * stdin is), which a destroy() ends at once; a file stream's read waits in
 * a thread until data comes, and so would its destroy(). The socket closes
 * `fd` when it ends; the caller closes it otherwise.
 */
async function feedPipe(feeder: RecordFeeder, path: string, fd: number, pipe: boolean, facts: CaptureFacts, progress: ReadProgress | null): Promise<void> {
  const stream: Readable = pipe ? new Socket({ fd, readable: true, writable: false }) : createReadStream(path, { fd, autoClose: false });
  pipeReads.add(stream);
  try {
    await feedStream(feeder, sniffedChunks(path, counted(stream, progress), facts));
  } finally {
    pipeReads.delete(stream);
    stream.destroy();
  }
}

/** A file's bytes, or stdin's for '-', gunzipped when gzip. */
export function inputChunks(path: string, facts: CaptureFacts): AsyncGenerator<Uint8Array> {
  return path === '-' ? stdinChunks(facts) : fileChunks(path, facts);
}

/** Read a capture arriving as a stream (a pipe from a capture process); same rules as readCapture. */
export async function readCaptureStream(name: string, chunks: AsyncIterable<Uint8Array>, onFrame: FrameHandler | FrameSink, facts: CaptureFacts = newFacts(), until?: () => boolean): Promise<CaptureFacts> {
  const counter = new FrameCounter(name, facts, onFrame, until);
  const feeder = new RecordFeeder(name, facts, counter.emit);
  try {
    await feedStream(feeder, chunks);
  } catch (e) {
    throw readError(name, e);
  } finally {
    counter.flush();
  }
  feeder.finish();
  return facts;
}

/**
 * Read a capture and call `onFrame` for every packet, in file order (a
 * FrameSink's fast lane first).
 * Throws CaptureError for input that cannot be read; a file cut short
 * mid-record is a warning in the returned facts, after every whole record.
 * `until`, asked after each frame, ends the read early (dissect -c, Ctrl-C):
 * the rest of the input is not read, and not judged. `progress`, when
 * given, is kept up to date for a display.
 */
export async function readCapture(path: string, onFrame: FrameHandler | FrameSink, facts: CaptureFacts = newFacts(), until?: () => boolean, progress: ReadProgress | null = null): Promise<CaptureFacts> {
  const name = path === '-' ? 'stdin' : path;
  const counter = new FrameCounter(name, facts, onFrame, until);
  const feeder = new RecordFeeder(name, facts, counter.emit);
  if (progress !== null) progress.facts = facts;
  try {
    if (path === '-') {
      await feedStream(feeder, sniffedChunks('stdin', counted(stdinSource(), progress), facts));
    } else {
      let fd: number;
      try {
        fd = openSync(path, 'r');
      } catch (e) {
        throw openError(path, e);
      }
      let closed = false;
      try {
        const head = new Uint8Array(2);
        const st = fstatSync(fd);
        if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
        if (progress !== null && st.isFile()) progress.total = st.size;
        // A pipe (<(tcpdump -w -)) has no position to read the magic at and come back.
        if (!st.isFile()) {
          closed = st.isFIFO();
          await feedPipe(feeder, path, fd, closed, facts, progress);
        } else if (readSync(fd, head, 0, 2, 0) === 2 && isGzip(head)) await feedStream(feeder, gunzipped(path, counted(createReadStream(path), progress), facts));
        else await feedFile(feeder, fd, progress);
      } finally {
        if (!closed) closeSync(fd);
      }
    }
  } catch (e) {
    // Stopped while waiting on stdin or a pipe (Ctrl-C closes it): what was read stands, the rest is not judged.
    if (until?.() && (e as { code?: unknown }).code === 'ERR_STREAM_PREMATURE_CLOSE') feeder.stopped = true;
    else throw readError(name, e);
  } finally {
    counter.flush();
  }
  feeder.finish();
  return facts;
}
