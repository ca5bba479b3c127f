// Buffered output to stdout (or a file): one write per 64 KiB instead of one
// per packet, for text lines and binary records alike, and whatever is left
// when the event loop turns (when a run waits for its input: `tcpdump -U -w - |
// ucprobe dissect -` prints each packet as it comes). A closed pipe
// (`ucprobe dissect big.pcap | head`) ends the run quietly; a write that
// fails (disk full) is an OutputError naming the output: one line, exit 2.

import { closeSync, openSync, writeSync } from 'node:fs';
import { EXIT_BAD_INPUT, UsageError } from '../common/errors.js';
import { ioReason, OutputError, outputError } from '../common/io-errors.js';

const FLUSH_AT = 64 * 1024;

export class StdoutWriter {
  /** Lines are kept as strings and encoded once per flush; binary records go in as they are. */
  private lines: string[] = [];
  private chunks: Buffer[] = [];
  private size = 0;
  /** A flush is queued for the event loop's next turn. */
  private queued = false;
  closed = false;

  /** `fd`: 1 for stdout, or one from `openOutput`; `name` says which in an error. */
  constructor(private readonly fd = 1, private readonly name = 'stdout') {}

  line(s: string): void {
    this.lines.push(s, '\n');
    this.size += s.length + 1;
    if (this.size >= FLUSH_AT) this.flush();
    else this.queueFlush();
  }

  bytes(b: Uint8Array): void {
    this.encodeLines();
    this.chunks.push(Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));
    this.size += b.byteLength;
    if (this.size >= FLUSH_AT) this.flush();
    else this.queueFlush();
  }

  private queueFlush(): void {
    if (this.queued) return;
    this.queued = true;
    setImmediate(() => {
      this.queued = false;
      try {
        this.flush();
      } catch (e) {
        // No caller to hand it to on this turn of the loop: say it as the CLI would.
        if (!(e instanceof OutputError)) throw e;
        process.stderr.write(`ucprobe: ${e.message}\n`);
        process.exit(EXIT_BAD_INPUT);
      }
    });
  }

  private encodeLines(): void {
    if (this.lines.length === 0) return;
    this.chunks.push(Buffer.from(this.lines.join('')));
    this.lines = [];
  }

  flush(): void {
    if (this.size === 0 || this.closed) return;
    this.encodeLines();
    let buf = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    this.chunks = [];
    this.size = 0;
    while (buf.length > 0) {
      try {
        const n = writeSync(this.fd, buf);
        buf = buf.subarray(n);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') continue; // a non-blocking pipe that is full: try again
        if (code === 'EPIPE') {
          this.closed = true;
          process.exit(0);
        }
        this.closed = true;
        throw outputError(this.name, e);
      }
    }
  }

  /** Flush, and close the file if this writer opened one. */
  close(): void {
    this.flush();
    this.closed = true;
    if (this.fd !== 1) closeSync(this.fd);
  }
}

/** A writer for `-o FILE` ('-' or none: stdout); a file that cannot be created is one clear line. */
export function openOutput(path: string | undefined, flag: string): StdoutWriter {
  if (path === undefined || path === '-') return new StdoutWriter();
  try {
    return new StdoutWriter(openSync(path, 'w'), path);
  } catch (e) {
    throw new UsageError(`${flag}: cannot write ${path}: ${ioReason(e, 'no such directory')}`);
  }
}
