// Length-delimited streams of ucprobe.v1.Record: a writer that frames each
// record with its varint length (a Header first, an End last), and a reader
// that walks such a stream chunk by chunk in bounded memory.

import type protobuf from 'protobufjs';
import type { StdoutWriter } from '../output/stdout-writer.js';
import { protobufjs, recordMessageType } from './schema.js';
import { SCHEMA_VERSION, type PbRecord } from './messages.js';

import { UCPROBE_VERSION as TOOL_VERSION } from '../version.js';

const FLUSH_AT = 64 * 1024;

export class PbStreamWriter {
  private readonly type = recordMessageType();
  /** Records are encoded into one growing writer and handed out 64 KiB at a time (a Writer per record costs a third of the run). */
  private pending = protobufjs().Writer.create();
  private records = 0;

  constructor(private readonly out: StdoutWriter, command: string, sources: string[], writtenAt = Date.now() / 1000) {
    this.write({ header: { schemaVersion: SCHEMA_VERSION, tool: 'ucprobe', toolVersion: TOOL_VERSION, command, sources, writtenAt } });
  }

  write(r: PbRecord): void {
    this.type.encodeDelimited(r, this.pending);
    this.records++;
    if (this.pending.len >= FLUSH_AT) this.handOut();
  }

  private handOut(): void {
    this.out.bytes(this.pending.finish());
    this.pending = protobufjs().Writer.create(); // finish() leaves what it wrote in the writer
  }

  /** Hand what is encoded to the output now (a live run's events as they happen). */
  flush(): void {
    if (this.pending.len > 0) this.handOut();
    this.out.flush();
  }

  /** The End record (`error`: why the run stopped early), then flush and close. */
  end(error = ''): void {
    this.write({ end: { records: this.records, error } });
    this.flush();
    this.out.close();
  }
}

export class PbStreamError extends Error {}

/** Varint length prefix at `off`: [length, bytes it took], or null when the buffer ends first. */
function readLength(buf: Uint8Array, off: number): [number, number] | null {
  let value = 0;
  for (let i = 0; i < 5; i++) {
    if (off + i >= buf.length) return null;
    const b = buf[off + i];
    value += (b & 0x7f) * 2 ** (7 * i);
    if (b < 0x80) return [value, i + 1];
  }
  throw new PbStreamError(`byte ${off}: length prefix longer than 5 bytes: not a length-delimited protobuf stream`);
}

/** No record of ours is near this; a larger prefix means garbage, not a record to buffer. */
const MAX_RECORD = 16 * 1024 * 1024;

export interface DecodedRecord {
  /** Byte offset of the record's length prefix in the stream. */
  offset: number;
  message: protobuf.Message;
}

/** Every record of a stream, in order; a stream cut mid-record throws PbStreamError after the complete ones. */
export async function* readPbStream(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<DecodedRecord> {
  const type = recordMessageType();
  let pending: Uint8Array = new Uint8Array(0);
  let base = 0; // stream offset of pending[0]
  for await (const chunk of chunks) {
    pending = pending.length ? concat(pending, chunk) : chunk;
    let off = 0;
    for (;;) {
      const len = readLength(pending, off);
      if (!len) break;
      const [size, prefix] = len;
      if (size > MAX_RECORD) throw new PbStreamError(`byte ${base + off}: record length ${size} is absurd: not a ucprobe protobuf stream`);
      if (off + prefix + size > pending.length) break;
      let message: protobuf.Message;
      try {
        message = type.decode(pending.subarray(off + prefix, off + prefix + size));
      } catch (e) {
        throw new PbStreamError(`byte ${base + off}: not a ucprobe.v1.Record (${(e as Error).message})`);
      }
      yield { offset: base + off, message };
      off += prefix + size;
    }
    pending = pending.subarray(off);
    base += off;
  }
  if (pending.length) throw new PbStreamError(`byte ${base}: cut short inside a record (${pending.length} bytes left over)`);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

