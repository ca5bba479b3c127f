// The client side of a monitor's event feed (`ucprobe monitor --events-listen`):
// connect, wait for its hello, then hand on every line. Used by `run
// --remote-monitor` and by `live --monitor-events`.

import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import type { FeedLine } from './event-feed.js';

export type FeedHello = Extract<FeedLine, { hello: unknown }>['hello'];

export interface FeedClient {
  hello: FeedHello;
  close(): void;
}

/** `fail` makes the error thrown when the feed cannot be reached (with the socket's error code) or says no hello within 5 s (null). */
export function connectEventFeed(at: { host: string; port: number }, onLine: (line: FeedLine) => void, fail: (code: string | null) => Error): Promise<FeedClient> {
  const socket = connect(at.port, at.host);
  return new Promise<FeedClient>((resolve, reject) => {
    const timer = setTimeout(() => reject(fail(null)), 5000);
    socket.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(fail(e.code ?? e.message));
    });
    const lines = createInterface({ input: socket });
    lines.on('error', () => undefined); // the socket's own handler reports it
    lines.on('line', (text) => {
      let line: FeedLine;
      try {
        line = JSON.parse(text) as FeedLine;
      } catch {
        return;
      }
      if ('hello' in line) {
        clearTimeout(timer);
        socket.on('error', () => undefined);
        resolve({ hello: line.hello, close: () => socket.destroy() });
      } else onLine(line);
    });
  });
}
