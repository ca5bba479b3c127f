// Sends HEP packets to a collector (Homer's heplify-server, sngrep -L,
// Kamailio sipcapture, another ucprobe): UDP datagrams, or over TCP the
// packets back to back (each HEPv3 packet carries its own length).
//
// Callers hand packets on synchronously from the pipeline; they wait in a
// bounded queue and go out as the socket takes them. What does not fit the
// queue, what the socket refuses and what is still queued when close() gives
// up is counted as dropped, never thrown. TCP reconnects after a close, with
// a growing pause, and keeps queueing in the meantime. UDP has no flow
// control: at most UDP_IN_FLIGHT datagrams are with the socket at once, and
// they are paced (a token bucket, default DEFAULT_HEP_UDP_RATE a second). A
// reader that can wait (dissect) waits for room() before reading on: the
// whole of a 417k-packet file read before the first send reached sngrep 1.6
// as 2,414 of its 12,803 packets; read as the socket takes them, all 12,803
// arrive at 10,000, 20,000 and 40,000 a second (README, HEP figures).

import dgram from 'node:dgram';
import net from 'node:net';
import { lookup } from 'node:dns/promises';

export type HepTransport = 'udp' | 'tcp';

export interface HepUrl {
  transport: HepTransport;
  host: string;
  port: number;
  /** As the user wrote it, for messages. */
  text: string;
}

/** "udp://host:port", "tcp://host:port", IPv6 as [addr]; null when it is not one. */
export function parseHepUrl(text: string): HepUrl | null {
  const m = /^(udp|tcp):\/\/(?:\[([^\]\s]+)\]|([^:/\s[\]]+)):(\d{1,5})\/?$/i.exec(text.trim());
  if (!m) return null;
  const port = Number(m[4]);
  if (port < 1 || port > 65535) return null;
  return { transport: m[1].toLowerCase() as HepTransport, host: m[2] ?? m[3], port, text: text.trim() };
}

export type HepPacketKind = 'sip' | 'event';

export interface HepCounters {
  /** Packets the socket took. */
  sent: number;
  sip: number;
  events: number;
  bytes: number;
  /** Packets lost on our side: queue full, send error, unsent at close, too big to encode. */
  dropped: number;
  /** The socket's last complaint ("connection refused"), null when it had none. */
  lastError: string | null;
}

export interface HepSenderOptions {
  /** Packets queued at most while the socket is busy or (TCP) reconnecting (default 65536). */
  maxQueue?: number;
  /** UDP: packets per second at most, 0 for no limit (default DEFAULT_HEP_UDP_RATE). */
  udpRate?: number;
  /** Longest close() waits for the queue to empty (default 5000 ms). */
  closeTimeoutMs?: number;
}

const DEFAULT_MAX_QUEUE = 65536;
/**
 * Well above a UC cluster's SIP rate, and a margin below the rates sngrep 1.6
 * (the slowest collector tested) stored without loss (README: HEP figures).
 */
export const DEFAULT_HEP_UDP_RATE = 10000;
/** A reader waiting in room() goes on once the queue is down to this. */
const ROOM_LOW_WATER = 1024;
const DEFAULT_CLOSE_TIMEOUT_MS = 5000;
/** UDP: datagrams handed to the socket before waiting for their callbacks. */
const UDP_IN_FLIGHT = 64;
const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5000;

interface Queued {
  packet: Uint8Array;
  kind: HepPacketKind;
}

/** A problem the user can act on (the collector's name does not resolve). */
export class HepSendError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HepSendError';
  }
}

export interface HepSender {
  readonly url: HepUrl;
  readonly counters: HepCounters;
  send(packet: Uint8Array, kind: HepPacketKind): void;
  /** Resolves when the queue has room again: a reader that can wait calls it between chunks. */
  room(): Promise<void>;
  /** A packet that could not even be encoded: counted as dropped. */
  dropped(kind: HepPacketKind): void;
  /** Waits (up to closeTimeoutMs) for what is queued, then closes; what is left is dropped. */
  close(): Promise<HepCounters>;
}

function newCounters(): HepCounters {
  return { sent: 0, sip: 0, events: 0, bytes: 0, dropped: 0, lastError: null };
}

const SOCKET_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused', ECONNRESET: 'connection reset', EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable', ETIMEDOUT: 'timed out', EPIPE: 'connection closed', EMSGSIZE: 'packet too big',
};

/** A socket error as a few words for the summary line. */
function socketError(e: Error): string {
  const code = (e as NodeJS.ErrnoException).code;
  return (code !== undefined ? SOCKET_ERRORS[code] : undefined) ?? code ?? e.message;
}

/** Resolves the collector's address and opens the socket (TCP connects in the background). */
export async function openHepSender(url: HepUrl, opts: HepSenderOptions = {}): Promise<HepSender> {
  let address: string;
  let family: number;
  try {
    const r = await lookup(url.host);
    address = r.address;
    family = r.family;
  } catch (e) {
    throw new HepSendError(`cannot resolve ${url.host} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return url.transport === 'udp' ? new UdpHepSender(url, address, family, opts) : new TcpHepSender(url, address, opts);
}

abstract class QueueingSender implements HepSender {
  readonly counters = newCounters();
  protected readonly queue: Queued[] = [];
  /** Index of the first unsent entry (shift() on a long array is O(n)). */
  protected head = 0;
  protected closing = false;
  /** close() has given up on what was in flight and counted it: late callbacks change nothing. */
  private finished = false;
  private readonly maxQueue: number;
  private readonly closeTimeoutMs: number;
  private idleWaiters: Array<() => void> = [];
  private roomWaiters: Array<() => void> = [];

  constructor(readonly url: HepUrl, opts: HepSenderOptions) {
    this.maxQueue = opts.maxQueue ?? DEFAULT_MAX_QUEUE;
    this.closeTimeoutMs = opts.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
  }

  protected get queued(): number {
    return this.queue.length - this.head;
  }

  send(packet: Uint8Array, kind: HepPacketKind): void {
    if (this.closing || this.queued >= this.maxQueue) {
      this.counters.dropped++;
      return;
    }
    this.queue.push({ packet, kind });
    this.pump();
  }

  dropped(_kind: HepPacketKind): void {
    this.counters.dropped++;
  }

  room(): Promise<void> {
    if (this.queued <= ROOM_LOW_WATER) return Promise.resolve();
    return new Promise((r) => this.roomWaiters.push(r));
  }

  protected take(): Queued | undefined {
    if (this.head >= this.queue.length) return undefined;
    const q = this.queue[this.head++];
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    return q;
  }

  protected done(q: Queued, err: Error | null | undefined): void {
    if (this.finished) return;
    if (err) {
      this.counters.dropped++;
      this.failed(err);
    } else {
      this.counters.sent++;
      this.counters.bytes += q.packet.length;
      if (q.kind === 'sip') this.counters.sip++;
      else this.counters.events++;
    }
    this.checkIdle();
  }

  protected checkIdle(): void {
    if (this.roomWaiters.length && this.queued <= ROOM_LOW_WATER) {
      const w = this.roomWaiters;
      this.roomWaiters = [];
      for (const r of w) r();
    }
    if (this.queued > 0 || this.inFlight() > 0) return;
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const r of w) r();
  }

  async close(): Promise<HepCounters> {
    this.closing = true;
    const idle = new Promise<void>((r) => {
      this.idleWaiters.push(r);
      this.checkIdle();
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((r) => (timer = setTimeout(r, this.closeTimeoutMs)));
    await Promise.race([idle, timeout]);
    clearTimeout(timer);
    this.finished = true;
    this.counters.dropped += this.queued + this.inFlight();
    this.queue.length = 0;
    this.head = 0;
    this.checkIdle();
    await this.shutdown();
    return this.counters;
  }

  protected failed(err: Error): void {
    this.counters.lastError = socketError(err);
  }

  protected abstract pump(): void;
  protected abstract inFlight(): number;
  protected abstract shutdown(): Promise<void>;
}

class UdpHepSender extends QueueingSender {
  private readonly socket: dgram.Socket;
  private pending = 0;
  private readonly address: string;
  /** Token bucket: `rate` packets a second, bursts of 10 ms worth. */
  private readonly rate: number;
  private readonly burst: number;
  private tokens: number;
  private refilled = performance.now();
  private wake: NodeJS.Timeout | null = null;

  constructor(url: HepUrl, address: string, family: number, opts: HepSenderOptions) {
    super(url, opts);
    this.address = address;
    this.rate = opts.udpRate ?? DEFAULT_HEP_UDP_RATE;
    this.burst = Math.max(1, Math.ceil(this.rate / 100));
    this.tokens = this.burst;
    this.socket = dgram.createSocket(family === 6 ? 'udp6' : 'udp4');
    // An ICMP unreachable surfaces here on some systems; the send callback counts the loss.
    this.socket.on('error', (e) => this.failed(e));
  }

  protected inFlight(): number {
    return this.pending;
  }

  private refill(): void {
    const now = performance.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.refilled) / 1000) * this.rate);
    this.refilled = now;
  }

  protected pump(): void {
    if (this.rate > 0) this.refill();
    while (this.pending < UDP_IN_FLIGHT) {
      if (this.rate > 0 && this.tokens < 1) {
        // Come back when the next packet may go.
        this.wake ??= setTimeout(() => {
          this.wake = null;
          this.pump();
        }, Math.max(1, Math.ceil(((1 - this.tokens) / this.rate) * 1000)));
        return;
      }
      const q = this.take();
      if (!q) return;
      if (this.rate > 0) this.tokens--;
      this.pending++;
      this.socket.send(q.packet, this.url.port, this.address, (err) => {
        this.pending--;
        this.done(q, err);
        this.pump();
      });
    }
  }

  protected async shutdown(): Promise<void> {
    if (this.wake) clearTimeout(this.wake);
    await new Promise<void>((r) => this.socket.close(() => r()));
  }
}

class TcpHepSender extends QueueingSender {
  private socket: net.Socket | null = null;
  private connected = false;
  private writing = 0;
  private backoff = RECONNECT_MIN_MS;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(url: HepUrl, private readonly address: string, opts: HepSenderOptions) {
    super(url, opts);
    this.connect();
  }

  private connect(): void {
    this.reconnectTimer = null;
    if (this.stopped) return;
    const s = net.connect({ host: this.address, port: this.url.port });
    s.setNoDelay(true);
    this.socket = s;
    s.on('connect', () => {
      this.connected = true;
      this.backoff = RECONNECT_MIN_MS;
      this.pump();
    });
    s.on('drain', () => this.pump());
    // A refused or lost connection: 'close' follows and reconnects; the summary says why packets were dropped.
    s.on('error', (e) => this.failed(e));
    s.on('close', () => {
      this.connected = false;
      this.socket = null;
      if (this.stopped) return;
      // Nothing in flight survives a lost connection: checkIdle lets close() finish.
      this.checkIdle();
      this.reconnectTimer = setTimeout(() => this.connect(), this.backoff);
      this.backoff = Math.min(RECONNECT_MAX_MS, this.backoff * 2);
    });
  }

  protected inFlight(): number {
    return this.writing;
  }

  protected pump(): void {
    const s = this.socket;
    if (!s || !this.connected) return;
    while (!s.writableNeedDrain) {
      const q = this.take();
      if (!q) return;
      this.writing++;
      s.write(q.packet, (err) => {
        this.writing--;
        this.done(q, err);
      });
    }
  }

  protected async shutdown(): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const s = this.socket;
    if (!s) return;
    await new Promise<void>((r) => {
      const t = setTimeout(() => {
        s.destroy();
        r();
      }, 1000);
      s.once('close', () => {
        clearTimeout(t);
        r();
      });
      s.end();
    });
  }
}

/** The one line a run with --hep ends with. */
export function hepSummaryLine(url: HepUrl, c: HepCounters): string {
  const why = c.dropped > 0 && c.lastError !== null ? ` (${c.lastError})` : '';
  return `HEP: ${c.sent} packets (${c.sip} SIP, ${c.events} events) sent to ${url.text}, ${c.dropped} dropped${why}`;
}
