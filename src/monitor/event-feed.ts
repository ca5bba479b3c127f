// A monitor's events for other processes: a TCP server that sends every
// client one JSON line per event as it is declared, so `ucprobe run` on
// another host (or a script) can check a remote monitor's findings.

import { createServer, type Server, type Socket } from 'node:net';
import type { HeartbeatEvent } from '../heartbeat/events.js';
import type { HeartbeatReport } from '../heartbeat/analyzer.js';
import { bindFailure } from '../generator/bind-udp.js';
import { MonitorError } from './monitor.js';

/** The lines on the wire, one JSON object each. */
export type FeedLine =
  | { hello: { udpPort: number; tcpPort: number | null; startedAt: number } }
  | { event: HeartbeatEvent; declaredAt: number }
  /** The TCP connections the monitor reset at a failover. */
  | { reset: { stream: string; lastSeq: number; connections: number } }
  | { report: HeartbeatReport };

export class EventFeed {
  private readonly clients = new Set<Socket>();
  private server: Server | null = null;

  constructor(private readonly hello: () => FeedLine) {}

  listen(port: number, bind?: string): Promise<number> {
    const server = createServer((s) => {
      this.clients.add(s);
      s.on('error', () => this.clients.delete(s));
      s.on('close', () => this.clients.delete(s));
      s.write(`${JSON.stringify(this.hello())}\n`);
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) => reject(new MonitorError(`cannot listen for event clients on TCP port ${port}: ${bindFailure(e)}`)));
      server.listen(port, bind, () => {
        const a = server.address();
        resolve(a && typeof a === 'object' ? a.port : port);
      });
    });
  }

  send(line: FeedLine): void {
    const text = `${JSON.stringify(line)}\n`;
    for (const c of this.clients) c.write(text);
  }

  /** Send the last line, then hang up on everyone. */
  close(last: FeedLine): void {
    for (const c of this.clients) c.end(`${JSON.stringify(last)}\n`);
    this.server?.close();
  }
}
