// The receiving side in the lab: listens for heartbeats on a UDP port and
// runs the same pipeline and detector as capture files, with the wall clock
// as its time. Optionally plays the router that notices: at a failover it
// resets its TCP connection to the peer with a real RST.

import { createSocket, type Socket } from 'node:dgram';
import { createServer, connect, type Server, type Socket as TcpSocket } from 'node:net';
import { LINKTYPE_ETHERNET } from '../../dissectors/link.js';
import { buildUdpFrame } from '../writer/frame-builder.js';
import { bindFailure, bindUdp } from '../generator/bind-udp.js';
import { Pipeline, type PipelineOptions } from '../pipeline/pipeline.js';
import { HeartbeatAnalyzer, type HeartbeatReport } from '../heartbeat/analyzer.js';
import type { FailoverEvent, HeartbeatEvent } from '../heartbeat/events.js';
import type { DetectorParams } from '../heartbeat/params.js';

export interface MonitorOptions {
  port: number;
  bind?: string;
  params?: Partial<DetectorParams>;
  pipeline?: Partial<PipelineOptions>;
  /** Epoch seconds; injectable for tests. */
  clock?: () => number;
  /** Each event as the detector declares it; `declaredAt` is the clock at that moment. */
  onEvent?: (e: HeartbeatEvent, declaredAt: number) => void;
  /** Keep a TCP connection to this peer and reset it at a failover. */
  tcpPeer?: { host: string; port: number };
  /** Accept TCP connections on this port and reset them at a failover. */
  tcpListen?: number;
  /** A failover's TCP resets were sent (`connections` of them; 0 when no connection was up). */
  onReset?: (failover: FailoverEvent, connections: number) => void;
  /** Non-fatal trouble worth a line (a TCP peer that is not there yet). */
  onNotice?: (msg: string) => void;
}

export class MonitorError extends Error {}

/** "::ffff:10.0.0.1" (an IPv4 peer on a dual-stack socket) as the IPv4 address heartbeats name it. */
function plainAddress(a: string): string {
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}

const wallClock = (): number => (performance.timeOrigin + performance.now()) / 1000;
const RECONNECT_MS = 1000;
const SPIN_MS = 1.5;

export class Monitor {
  private readonly clock: () => number;
  private readonly analyzer: HeartbeatAnalyzer;
  private readonly pipeline: Pipeline;
  private socket: Socket | null = null;
  /** The one timer, set for the detector's next deadline (not a polling tick: declarations land within ~1 ms). */
  private wake: NodeJS.Timeout | null = null;
  private wakeAt = Infinity;
  private server: Server | null = null;
  private peer: TcpSocket | null = null;
  private readonly accepted = new Set<TcpSocket>();
  private frames = 0;
  private localAddress = '0.0.0.0';
  private closed = false;
  private peerDown = false;

  private readonly opts: MonitorOptions;

  constructor(opts: MonitorOptions) {
    this.opts = { ...opts };
    this.clock = opts.clock ?? wallClock;
    this.analyzer = new HeartbeatAnalyzer(opts.params, (e) => this.event(e));
    this.pipeline = new Pipeline([this.analyzer.add], opts.pipeline);
  }

  async start(): Promise<void> {
    const v6 = this.opts.bind?.includes(':') ?? false;
    const socket = createSocket({ type: v6 ? 'udp6' : 'udp4' });
    await bindUdp(socket, this.opts.port, this.opts.bind).catch((e: Error) => {
      throw new MonitorError(`cannot listen on UDP ${this.opts.bind ?? 'any address'} port ${this.opts.port}: ${e.message}`);
    });
    this.socket = socket;
    this.localAddress = socket.address().address;
    socket.on('message', (msg, rinfo) => this.datagram(msg, rinfo.address, rinfo.port));
    this.opts.port = socket.address().port;
    if (this.opts.tcpListen !== undefined) await this.listen(this.opts.tcpListen);
    if (this.opts.tcpPeer) this.connectPeer();
  }

  /** The UDP port listened on (useful with port 0). */
  get port(): number {
    return this.opts.port;
  }

  /** The TCP port accepting connections to reset, once started. */
  get tcpPort(): number | null {
    const a = this.server?.address();
    return a && typeof a === 'object' ? a.port : null;
  }

  /** Stop and give the whole report; the silence up to now counts. */
  stop(): HeartbeatReport {
    this.closed = true;
    if (this.wake) clearTimeout(this.wake);
    this.socket?.close();
    this.peer?.destroy();
    for (const s of this.accepted) s.destroy();
    this.server?.close();
    return this.analyzer.report(this.clock());
  }

  /** A datagram as a frame through the pipeline, as if captured at this moment. */
  private datagram(payload: Buffer, from: string, sport: number): void {
    const t = this.clock();
    const v6 = from.includes(':');
    const local = this.localAddress === '0.0.0.0' || this.localAddress === '::' ? (v6 ? '::1' : '127.0.0.1') : this.localAddress;
    const ip = v6 ? { version: 6 as const, src: from, dst: local } : { src: from, dst: local };
    const frame = buildUdpFrame({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }, ip, { sport, dport: this.opts.port, payload, checksum: false });
    const sec = Math.floor(t);
    this.pipeline.frame({ frame: ++this.frames, tsSec: sec, tsNsec: Math.round((t - sec) * 1e9) % 1e9, caplen: frame.length, len: frame.length, linkType: LINKTYPE_ETHERNET, iface: 0 }, frame);
    this.arm();
  }

  /** Set the timer for the detector's next deadline, if it moved earlier. */
  private arm(): void {
    const next = this.analyzer.detector.nextCheckAt;
    if (this.closed || next >= this.wakeAt) return;
    if (this.wake) clearTimeout(this.wake);
    this.wakeAt = next;
    const ms = (next - this.clock()) * 1000;
    // Timers fire up to ~1 ms late: wake a little early and finish the wait on the event loop.
    this.wake = setTimeout(() => this.awake(), Math.max(0, ms - SPIN_MS));
  }

  private awake(): void {
    this.wake = null;
    if (this.closed) return;
    if (this.clock() < this.wakeAt) {
      setImmediate(() => this.awake());
      return;
    }
    this.wakeAt = Infinity;
    this.analyzer.detector.tick(this.clock());
    this.arm();
  }

  private event(e: HeartbeatEvent): void {
    this.opts.onEvent?.(e, this.clock());
    if (e.type === 'failover' && (this.server || this.opts.tcpPeer)) {
      const n = this.resetPeers();
      this.opts.onReset?.(e, n);
    }
  }

  /** What the router that noticed does: reset its TCP connections to the peer. Returns how many. */
  private resetPeers(): number {
    const now = this.clock();
    let n = 0;
    const reset = (s: TcpSocket): void => {
      if (s.destroyed || !s.remoteAddress) return;
      this.analyzer.addReset({ time: now, src: plainAddress(s.localAddress ?? ''), sport: s.localPort ?? 0, dst: plainAddress(s.remoteAddress), dport: s.remotePort ?? 0 });
      s.resetAndDestroy();
      n++;
    };
    for (const s of this.accepted) reset(s);
    this.accepted.clear();
    if (this.peer) reset(this.peer); // its 'close' reconnects
    return n;
  }

  private connectPeer(): void {
    const p = this.opts.tcpPeer;
    if (!p || this.closed) return;
    const s = connect({ host: p.host, port: p.port });
    s.on('connect', () => {
      this.peer = s;
      this.peerDown = false;
    });
    s.on('error', (e: NodeJS.ErrnoException) => {
      if (!this.peerDown) this.opts.onNotice?.(`TCP peer ${p.host}:${p.port}: ${e.code ?? e.message}; retrying every ${RECONNECT_MS / 1000} s`);
      this.peerDown = true;
    });
    s.on('close', () => {
      if (this.peer === s) this.peer = null;
      if (!this.closed) setTimeout(() => this.connectPeer(), RECONNECT_MS).unref();
    });
  }

  private listen(port: number): Promise<void> {
    const server = createServer((s) => {
      this.accepted.add(s);
      s.on('error', () => this.accepted.delete(s));
      s.on('close', () => this.accepted.delete(s));
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) => reject(new MonitorError(`cannot listen on TCP port ${port}: ${bindFailure(e)}`)));
      server.listen(port, this.opts.bind, () => resolve());
    });
  }
}
