// Buffered line output to stdout: one write per 64 KiB instead of one per
// packet. A closed pipe (`ucprobe dissect big.pcap | head`) ends the run quietly.

import { writeSync } from 'node:fs';

const FLUSH_AT = 64 * 1024;

export class StdoutWriter {
  private parts: string[] = [];
  private size = 0;
  closed = false;

  line(s: string): void {
    this.parts.push(s, '\n');
    this.size += s.length + 1;
    if (this.size >= FLUSH_AT) this.flush();
  }

  flush(): void {
    if (this.size === 0 || this.closed) return;
    const data = this.parts.join('');
    this.parts = [];
    this.size = 0;
    let buf = Buffer.from(data);
    while (buf.length > 0) {
      try {
        const n = writeSync(1, buf);
        buf = buf.subarray(n);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') continue; // a non-blocking pipe that is full: try again
        if (code === 'EPIPE') {
          this.closed = true;
          process.exit(0);
        }
        throw e;
      }
    }
  }
}
