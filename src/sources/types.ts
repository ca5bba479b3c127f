// What every capture reader hands on, and the facts it gathers about the input.

import type { FrameInfo } from '../../dissectors/types.js';

/**
 * Called once per captured frame. `bytes` is a view into the reader's buffer:
 * it is valid only until the callback returns (copy what you keep).
 */
export type FrameHandler = (info: FrameInfo, bytes: Uint8Array) => void;

/**
 * A frame handler with a fast lane. The reader offers each frame to
 * `frameInPlace` first, as its own buffer (the frame is buf[start, start +
 * info.caplen)) and an `info` it reuses; when that returns false, the frame
 * goes to `frame` as to any FrameHandler, but with that same reused `info`
 * (read it during the call; copy what you keep). `flush` is called once the
 * input ends (however it ends), so what the fast lane holds is handed on.
 */
export interface FrameSink {
  readonly frame: FrameHandler;
  readonly frameInPlace: (info: FrameInfo, buf: Uint8Array, start: number) => boolean;
  readonly flush: () => void;
}

/** How a record parser hands on a frame: `info` is the parser's own (reused), the bytes buf[start, start + info.caplen). */
export type FrameEmitter = (info: FrameInfo, buf: Uint8Array, start: number) => void;

export type CaptureFormat = 'pcap' | 'pcapng';

export interface InterfaceFacts {
  linkType: number;
  snaplen: number;
  /** Timestamp units per second, e.g. 1e6 for microseconds. */
  tsUnitsPerSec: number;
  name: string | null;
}

export interface CaptureFacts {
  format: CaptureFormat | null;
  byteOrder: 'le' | 'be' | null;
  gzip: boolean;
  interfaces: InterfaceFacts[];
  packets: number;
  /** Frames whose captured length is shorter than their length on the wire. */
  truncatedPackets: number;
  bytesCaptured: number;
  /** Earliest and latest timestamps seen (files are not always in time order). */
  firstTs: number | null;
  lastTs: number | null;
  /** Problems the run could go on after (a file cut short, skipped blocks). */
  warnings: string[];
}

export function newFacts(): CaptureFacts {
  return {
    format: null, byteOrder: null, gzip: false, interfaces: [], packets: 0, truncatedPackets: 0,
    bytesCaptured: 0, firstTs: null, lastTs: null, warnings: [],
  };
}

/**
 * How far a read has got, for a progress display: input bytes consumed (of
 * the file as stored: compressed bytes for a .gz), the input's size when it
 * has one (a plain or gzip file; null for stdin and pipes), and the facts
 * being gathered (packets so far). The reader fills it; a display polls it.
 */
export interface ReadProgress {
  bytes: number;
  total: number | null;
  facts: CaptureFacts | null;
}

export function newProgress(): ReadProgress {
  return { bytes: 0, total: null, facts: null };
}

/** A push parser: consumes whole records from a buffer and reports how far it got. */
export interface RecordParser {
  /**
   * Parse as many complete records from buf[off..end) as there are; returns the
   * offset of the first byte not consumed. Throws CaptureError on corrupt input.
   */
  parse(buf: Uint8Array, off: number, end: number, fileOffset: number): number;
  /** The smallest number of bytes the next call needs to make progress. */
  needed(): number;
}

/** A problem with the input that stops the read: the CLI prints its message as one line, exit 2. */
export class CaptureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CaptureError';
  }
}
