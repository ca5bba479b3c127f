// The receiving side in the lab: listens for heartbeats on a UDP port and
// runs the same pipeline and detector as capture files. Arrival times are the
// kernel's (SO_TIMESTAMPNS, through src/native/udp-receiver.c), and silence
// is judged only after the socket's queue has been read to the end: a stalled
// process delays a verdict, never makes one. When the queue overflowed the
// receiver was blind, and a silence over that span is `monitor-stalled`, not a
// failover. Optionally plays the router that notices: at a failover it resets
// its TCP connection to the peer with a real RST.

import { createSocket, type Socket } from 'node:dgram';
import { createServer, connect, type Server, type Socket as TcpSocket } from 'node:net';
import { LINKTYPE_ETHERNET } from '../../dissectors/link.js';
import type { PacketRecord } from '../../dissectors/types.js';
import { ipBytes, udpFrameLength, writeUdpFrame, type EthernetSpec } from '../writer/frame-builder.js';
import { bindFailure, bindUdp } from '../generator/bind-udp.js';
import { Pipeline, type PipelineOptions } from '../pipeline/pipeline.js';
import { HeartbeatAnalyzer, type HeartbeatReport } from '../heartbeat/analyzer.js';
import type { FailoverEvent, HeartbeatEvent } from '../heartbeat/events.js';
import type { DetectorParams } from '../heartbeat/params.js';
import { KernelUdpSocket, kernelReceiver, kernelReceiverError, type KernelDatagram } from './kernel-udp.js';
import { BATCH_HEARTBEAT, type BatchConsumer, type UdpBatch } from '../pipeline/udp-batch.js';

export interface MonitorOptions {
  port: number;
  bind?: string;
  params?: Partial<DetectorParams>;
  pipeline?: Partial<PipelineOptions>;
  /** Streams watched at once (default the detector's, 100,000); more are counted, with a warning. */
  maxStreams?: number;
  /** Socket receive buffer to ask for, bytes (default 8 MiB). */
  rcvbuf?: number;
  /** Read through Node's dgram even when the kernel-timestamp receiver is there (tests of the fallback). */
  dgram?: boolean;
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
  /** Non-fatal trouble worth a line (a TCP peer that is not there yet, streams past the cap, junk). */
  onNotice?: (msg: string) => void;
}

/** How the monitor received, for its report. */
export interface ReceiverReport {
  /** True: arrival times are the kernel's; false: when Node read each datagram (the addon was missing). */
  kernelTimestamps: boolean;
  /** Receive buffer the kernel granted, bytes (as it reports it: twice what it will queue). */
  rcvbuf: number | null;
  /** Datagrams the kernel dropped for this socket (its queue was full). */
  kernelDrops: number;
  /** Times the process was found stalled (the event loop late by more than STALL_MS) and the longest, ms. */
  stalls: number;
  longestStallMs: number;
  /** Datagrams that were not heartbeats (wrong length or shape), and datagrams cut at the receive slot. */
  notHeartbeats: number;
  truncated: number;
  /** CPU time this process used, s (user + system). */
  cpuSeconds: number;
}

export interface MonitorReport extends HeartbeatReport {
  receiver: ReceiverReport;
}

export class MonitorError extends Error {}

/** "::ffff:10.0.0.1" (an IPv4 peer on a dual-stack socket) as the IPv4 address heartbeats name it. */
function plainAddress(a: string): string {
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}

const wallClock = (): number => (performance.timeOrigin + performance.now()) / 1000;
const RECONNECT_MS = 1000;
/** The socket is read at least this often, and at every deadline of the detector. */
const POLL_MS = 5;
/** The event loop this late means the process did not run (GC, SIGSTOP, a busy host). */
const STALL_MS = 40;
export const DEFAULT_RCVBUF = 8 << 20;
const mib = (bytes: number): string => (bytes / (1 << 20)).toFixed(1);

/** A datagram as it arrived: addresses as their 4 or 16 bytes. */
type Arrival = Omit<KernelDatagram, 'drops'>;

const ETH: EthernetSpec = { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' };
/** Room to frame the longest datagram a receive slot holds (or Node hands over). */
const FRAME_ROOM = 65_600;

export class Monitor {
  private readonly clock: () => number;
  private readonly analyzer: HeartbeatAnalyzer;
  private pipeline: Pipeline | null = null;
  private kernel: KernelUdpSocket | null = null;
  private socket: Socket | null = null;
  private timer: NodeJS.Timeout | null = null;
  private server: Server | null = null;
  private peer: TcpSocket | null = null;
  private readonly accepted = new Set<TcpSocket>();
  private frames = 0;
  private localAddress = '0.0.0.0';
  private closed = false;
  private peerDown = false;
  /** The socket's drop counter as last seen, and the newest arrival time. */
  private dropsSeen = 0;
  private lastArrival = 0;
  /** When the event loop last ran (the stall check), epoch s. */
  private lastRan = 0;
  private readonly receiver: ReceiverReport = { kernelTimestamps: false, rcvbuf: null, kernelDrops: 0, stalls: 0, longestStallMs: 0, notHeartbeats: 0, truncated: 0, cpuSeconds: 0 };
  private junkNoticed = false;
  /** Datagrams are framed here, one at a time, and read in place by the pipeline's fast lane. */
  private readonly frameBuf = new Uint8Array(FRAME_ROOM);

  private readonly opts: MonitorOptions;

  constructor(opts: MonitorOptions) {
    this.opts = { ...opts };
    this.clock = opts.clock ?? wallClock;
    this.analyzer = new HeartbeatAnalyzer(opts.params, (e) => this.event(e), {
      maxStreams: opts.maxStreams,
      onLimit: (msg) => this.opts.onNotice?.(`warning: ${msg}`),
    });
  }

  async start(): Promise<void> {
    const bind = this.opts.bind ?? '0.0.0.0';
    const addon = this.opts.dgram ? null : kernelReceiver();
    if (addon) {
      try {
        this.kernel = new KernelUdpSocket(addon, bind, this.opts.port, this.opts.rcvbuf ?? DEFAULT_RCVBUF);
      } catch (e) {
        throw new MonitorError(`cannot listen on UDP ${this.opts.bind ?? 'any address'} port ${this.opts.port}: ${bindFailure(e as NodeJS.ErrnoException)}`);
      }
      this.opts.port = this.kernel.port;
      this.receiver.kernelTimestamps = true;
      this.receiver.rcvbuf = this.kernel.rcvbuf;
      const asked = this.opts.rcvbuf ?? DEFAULT_RCVBUF;
      // The kernel reports twice what it will queue; less than asked means net.core.rmem_max capped it.
      if (this.kernel.rcvbuf < 2 * asked) this.opts.onNotice?.(`warning: receive buffer: asked for ${mib(asked)} MiB, the kernel granted ${mib(this.kernel.rcvbuf / 2)} MiB (net.core.rmem_max; run as root, or sysctl -w net.core.rmem_max=${2 * asked})`);
    } else {
      if (!this.opts.dgram) this.opts.onNotice?.(`warning: kernel timestamps unavailable (${kernelReceiverError() || 'receiver addon not built'}): arrival times are when the monitor read each datagram, and a stall of this process is reported as monitor-stalled instead of a verdict; rebuild with npm install (needs python3, make, g++)`);
      const socket = createSocket({ type: bind.includes(':') ? 'udp6' : 'udp4', recvBufferSize: this.opts.rcvbuf ?? DEFAULT_RCVBUF });
      await bindUdp(socket, this.opts.port, this.opts.bind).catch((e: Error) => {
        throw new MonitorError(`cannot listen on UDP ${this.opts.bind ?? 'any address'} port ${this.opts.port}: ${e.message}`);
      });
      this.socket = socket;
      this.localAddress = socket.address().address;
      this.receiver.rcvbuf = socket.getRecvBufferSize();
      socket.on('message', (msg, rinfo) => this.fromDgram(msg, rinfo.address, rinfo.port));
      this.opts.port = socket.address().port;
    }
    // Everything sent to this port is meant as a heartbeat: recognised from the first one, whatever the port.
    this.pipeline = new Pipeline([this.analyzer, this.junk], { heartbeatPorts: [this.opts.port, this.opts.port], ...this.opts.pipeline });
    this.lastRan = this.clock();
    this.schedule();
    if (this.opts.tcpListen !== undefined) await this.listen(this.opts.tcpListen);
    if (this.opts.tcpPeer) this.connectPeer();
  }

  /** New heartbeat settings from now on (SIGHUP re-reads --config). */
  setParams(params: Partial<DetectorParams>): DetectorParams {
    // The timer wakes within POLL_MS anyway: the new deadlines are looked at then.
    this.analyzer.detector.setParams(params);
    return this.analyzer.detector.params;
  }

  /** How it receives so far (the kernel's figures as last read). */
  get receiverState(): ReceiverReport {
    return { ...this.receiver };
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

  /** Stop and give the whole report; what the kernel queued is read first, and the silence up to now counts. */
  stop(): MonitorReport {
    this.pipeline?.flush();
    const end = this.kernel ? this.poll() : this.clock();
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.kernel?.close();
    this.socket?.close();
    this.peer?.destroy();
    for (const s of this.accepted) s.destroy();
    this.server?.close();
    const cpu = process.cpuUsage();
    return { ...this.analyzer.report(end), receiver: { ...this.receiver, cpuSeconds: Math.round((cpu.user + cpu.system) / 1e3) / 1e3 } };
  }

  /** Read what the kernel queued, then let the detector's time move to when the queue was found empty. */
  private poll(): number {
    const k = this.kernel!;
    const upTo = k.drain((d) => this.fromKernel(d));
    this.pipeline!.flush();
    this.receiver.truncated = k.truncated;
    // Drops after the last datagram read: blind from it to now.
    const drops = k.drops();
    if (drops > this.dropsSeen) this.blind(this.lastArrival || upTo, upTo, drops);
    this.analyzer.detector.tick(upTo);
    return upTo;
  }

  /** The receiver's drop counter reached `drops`: it lost datagrams itself between `from` and `to`. */
  private blind(from: number, to: number, drops: number): void {
    // What came before the drops goes to the detector first.
    this.pipeline!.flush();
    this.analyzer.detector.blind(from, to, drops - this.dropsSeen);
    this.receiver.kernelDrops += drops - this.dropsSeen;
    this.dropsSeen = drops;
  }

  /** One timer: wakes at the detector's next deadline, or POLL_MS from now if sooner. */
  private schedule(): void {
    if (this.closed) return;
    const next = this.analyzer.detector.nextCheckAt;
    const ms = Math.max(0, Math.min(POLL_MS, (next - this.clock()) * 1000));
    this.timer = setTimeout(() => this.wake(), ms);
  }

  private wake(): void {
    this.timer = null;
    if (this.closed) return;
    const now = this.clock();
    this.ran(now);
    if (this.kernel) this.poll();
    else {
      this.pipeline!.flush();
      this.analyzer.detector.tick(now);
    }
    this.schedule();
  }

  /**
   * The process runs at `now`. The timer wakes it at least every POLL_MS: a
   * longer gap is a stall (a datagram read after one can be the first sign).
   */
  private ran(now: number): void {
    const gapMs = (now - this.lastRan) * 1000;
    if (gapMs > POLL_MS + STALL_MS) {
      this.receiver.stalls++;
      this.receiver.longestStallMs = Math.max(this.receiver.longestStallMs, Math.round(gapMs));
      // Datagrams queued meanwhile are stamped when they are read: their real arrival is unknown.
      if (!this.kernel) this.analyzer.detector.blind(this.lastRan, now + STALL_MS / 1000, 0);
    }
    this.lastRan = now;
  }

  private fromKernel(d: KernelDatagram): void {
    const t = d.tsSec + d.tsNsec / 1e9;
    // The kernel counted drops before this datagram was queued: blind since the one before it.
    if (d.drops > this.dropsSeen) this.blind(this.lastArrival || t, t, d.drops);
    this.lastArrival = t;
    this.arrival(d);
  }

  private fromDgram(payload: Buffer, from: string, sport: number): void {
    const t = this.clock();
    this.ran(t);
    const v6 = from.includes(':');
    const src = plainAddress(from);
    const local = this.localAddress === '0.0.0.0' || this.localAddress === '::' ? (v6 ? '::1' : '127.0.0.1') : plainAddress(this.localAddress);
    const version = src.includes(':') ? 6 : 4;
    const sec = Math.floor(t);
    this.arrival({ payload, length: payload.length, tsSec: sec, tsNsec: Math.round((t - sec) * 1e9) % 1e9, src: ipBytes(src, version), sport, dst: ipBytes(local, version) });
  }

  /**
   * A datagram framed as the wire would carry it, stamped with its arrival
   * time, through the pipeline: its fast lane reads the frame in place (no
   * record, no strings), anything else becomes a record as in a capture.
   */
  private arrival(d: Arrival): void {
    const ip = d.src.length === 16 ? { version: 6 as const, src: d.src, dst: d.dst } : { src: d.src, dst: d.dst };
    const udp = { sport: d.sport, dport: this.opts.port, payload: d.payload, checksum: false };
    const n = udpFrameLength(ETH, ip, udp);
    writeUdpFrame(this.frameBuf, ETH, ip, udp);
    const info = { frame: ++this.frames, tsSec: d.tsSec, tsNsec: d.tsNsec, caplen: n, len: n + d.length - d.payload.length, linkType: LINKTYPE_ETHERNET, iface: 0 };
    if (!this.pipeline!.frameInPlace(info, this.frameBuf, 0)) this.pipeline!.frame(info, this.frameBuf.slice(0, n));
  }

  /** Datagrams that are not heartbeats: counted, and said once. */
  private readonly junk: BatchConsumer = {
    add: (rec: PacketRecord): void => {
      if (!(rec.hb && rec.app === 'mds-heartbeat')) this.notHeartbeat(`${rec.ip?.src ?? '?'}:${rec.sport}`, rec.payload?.length ?? 0);
    },
    addUdpBatch: (batch: UdpBatch): void => {
      for (let i = 0; i < batch.length; i++) {
        if (batch.app[i] === BATCH_HEARTBEAT) continue;
        const f = batch.flows.info(batch.flow[i]);
        this.notHeartbeat(`${f.src}:${f.sport}`, null);
      }
    },
  };

  private notHeartbeat(from: string, bytes: number | null): void {
    this.receiver.notHeartbeats++;
    if (this.junkNoticed) return;
    this.junkNoticed = true;
    this.opts.onNotice?.(`warning: datagrams on UDP port ${this.opts.port} that are not heartbeats (the first from ${from}${bytes === null ? '' : `, ${bytes} bytes`}): ignored and counted in the report`);
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
