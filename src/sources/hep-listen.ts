// `live --hep-listen udp:ADDR:PORT` (or tcp:): HEP from capture agents
// already running elsewhere (heplify, sngrep -H, Kamailio/OpenSIPS, another
// ucprobe) as a packet source. Each SIP payload becomes a synthetic
// Ethernet/IP/UDP frame, or TCP with a running sequence number per flow so
// the pipeline's TCP framer reassembles it, stamped with the HEP timestamp:
// from there on it is a packet like any other.
//
// Bad input never stops the listener: packets that are not HEP, are cut or
// malformed, or cannot become a frame are counted, and the count (with the
// first reason) is one warning at the end.

import dgram from 'node:dgram';
import net from 'node:net';
import { decodeHep, hep3PacketLength, HEP_PROTO_TYPE, type HepRecord } from '../../dissectors/hep.js';
import { LINKTYPE_ETHERNET } from '../../dissectors/link.js';
import { TCP_ACK, TCP_PSH } from '../../dissectors/types.js';
import { buildTcpFrame, buildUdpFrame, IPPROTO_TCP, type EthernetSpec, type IpSpec } from '../writer/frame-builder.js';
import { BoundedMap } from '../common/bounded-map.js';
import { CaptureError, newFacts, type CaptureFacts, type FrameHandler } from './types.js';

export type HepListenTransport = 'udp' | 'tcp';

export interface HepListenAddress {
  transport: HepListenTransport;
  host: string;
  port: number;
  /** As the user wrote it. */
  text: string;
}

/** "udp:ADDR:PORT" or "tcp:ADDR:PORT" (IPv6 as [addr]), as sngrep -L takes it; null when it is not one. */
export function parseHepListen(text: string): HepListenAddress | null {
  const m = /^(udp|tcp):(?:\[([^\]\s]+)\]|([^:/\s[\]]+)):(\d{1,5})$/i.exec(text.trim());
  if (!m) return null;
  const port = Number(m[4]);
  if (port > 65535) return null;
  return { transport: m[1].toLowerCase() as HepListenTransport, host: m[2] ?? m[3], port, text: text.trim() };
}

export interface HepListenCounters {
  /** HEP packets received (good or bad). */
  received: number;
  /** Turned into frames. */
  frames: number;
  /** Good HEP that is not SIP (logs, RTCP reports, ucprobe's own events): not a packet to decode. */
  notSip: number;
  bad: number;
  firstBad: string | null;
  /** Frames from agents that send no IP TOS chunk (sngrep): their DSCP is not known. */
  noTos: number;
}

export interface HepListener {
  /** Where it listens (the port the system chose, for port 0). */
  readonly bound: { address: string; port: number };
  readonly counters: HepListenCounters;
  readonly facts: CaptureFacts;
  /** Resolves with why when the socket fails after it started; stays pending otherwise. */
  readonly ended: Promise<string | null>;
  /** Whether the frame being handed on now carries the agent's real IP TOS (its DSCP can be audited). */
  readonly markingKnown: boolean;
  stop(): Promise<void>;
}

export interface HepListenOptions {
  /** Every good HEP packet that is not SIP (e.g. another ucprobe's heartbeat events). */
  onOther?: (rec: HepRecord) => void;
  /** Wall clock, for HEP packets without a timestamp (seconds). */
  clock?: () => number;
}

/** Locally administered MACs for the synthetic frames. */
const ETH: EthernetSpec = { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' };
const MAX_TCP_FLOWS = 65536;
const MAX_TCP_CONNECTIONS = 1024;
/** Asked of the kernel so a burst from an agent reading a file is not lost; capped by net.core.rmem_max. */
const UDP_RECV_BUFFER = 8 * 1024 * 1024;

/** Turns decoded HEP into frames for the pipeline; keeps the per-flow TCP sequence numbers. */
export class HepFrameMaker {
  private frameNo = 0;
  private readonly tcpSeq = new BoundedMap<string, number>(MAX_TCP_FLOWS);

  /** The frame for one HEP record, or why there is none. */
  frame(h: HepRecord, now: number): { info: Parameters<FrameHandler>[0]; bytes: Uint8Array } | string {
    if (h.error !== null) return h.error;
    if (h.payload === null) return 'hep: no payload chunk';
    if (h.src === null || h.dst === null) return 'hep: no source or destination address';
    if (h.sport === null || h.dport === null) return 'hep: no source or destination port';
    // A v4 address beside a v6 one (older sngrep put its IPv6 source in a v4-typed chunk): both as v6, v4-mapped.
    const v6 = h.src.includes(':') || h.dst.includes(':');
    const asV6 = (a: string): string => (a.includes(':') ? a : `::ffff:${a}`);
    // The marking, when the agent sent it (heplify, ucprobe); 0 otherwise, so the DSCP audit only means something then.
    const dscp = (h.ipTos ?? 0) >> 2;
    const ecn = (h.ipTos ?? 0) & 3;
    const ip: IpSpec = v6 ? { version: 6, src: asV6(h.src), dst: asV6(h.dst), dscp, ecn } : { src: h.src, dst: h.dst, dscp, ecn };
    let bytes: Uint8Array;
    try {
      if (h.ipProto === IPPROTO_TCP) {
        const key = `${ip.src}|${h.sport}|${ip.dst}|${h.dport}`;
        const seq = this.tcpSeq.get(key) ?? 1;
        this.tcpSeq.set(key, (seq + h.payload.length) >>> 0);
        bytes = buildTcpFrame(ETH, ip, { sport: h.sport, dport: h.dport, seq, ack: 1, flags: TCP_PSH | TCP_ACK, window: 65535, payload: h.payload });
      } else {
        bytes = buildUdpFrame(ETH, ip, { sport: h.sport, dport: h.dport, payload: h.payload });
      }
    } catch (e) {
      return `hep: cannot build a frame: ${(e as Error).message}`;
    }
    let sec = h.tsSec;
    let usec = h.tsUsec ?? 0;
    if (sec === null) {
      const t = Math.round(now * 1e6);
      sec = Math.floor(t / 1e6);
      usec = t - sec * 1e6;
    }
    usec = Math.min(999_999, usec);
    return {
      info: { frame: ++this.frameNo, tsSec: sec, tsNsec: usec * 1000, caplen: bytes.length, len: bytes.length, linkType: LINKTYPE_ETHERNET, iface: 0 },
      bytes,
    };
  }
}

function listenError(addr: HepListenAddress, e: NodeJS.ErrnoException): CaptureError {
  const why = e.code === 'EADDRINUSE' ? 'address in use' : e.code === 'EACCES' ? 'permission denied (ports below 1024 need root)' : e.code === 'EADDRNOTAVAIL' ? 'no such local address' : (e.code ?? e.message);
  return new CaptureError(`--hep-listen ${addr.text}: cannot listen: ${why}`);
}

/** Starts listening; resolves once bound, rejects with a one-line CaptureError when it cannot. */
export async function startHepListener(addr: HepListenAddress, onFrame: FrameHandler, opts: HepListenOptions = {}): Promise<HepListener> {
  const clock = opts.clock ?? ((): number => Date.now() / 1000);
  const facts = newFacts();
  const counters: HepListenCounters = { received: 0, frames: 0, notSip: 0, bad: 0, firstBad: null, noTos: 0 };
  let markingKnown = true;
  const maker = new HepFrameMaker();
  let endWith!: (why: string | null) => void;
  const ended = new Promise<string | null>((r) => (endWith = r));
  let stopped = false;

  const bad = (why: string): void => {
    counters.bad++;
    counters.firstBad ??= why;
  };
  const handle = (h: HepRecord): void => {
    counters.received++;
    if (h.error === null && h.protoType !== null && h.protoType !== HEP_PROTO_TYPE.SIP) {
      counters.notSip++;
      opts.onOther?.(h);
      return;
    }
    const f = maker.frame(h, clock());
    if (typeof f === 'string') {
      bad(f);
      return;
    }
    counters.frames++;
    markingKnown = h.ipTos !== null;
    if (!markingKnown) counters.noTos++;
    facts.packets++;
    facts.bytesCaptured += f.info.caplen;
    const ts = f.info.tsSec + f.info.tsNsec / 1e9;
    if (facts.firstTs === null || ts < facts.firstTs) facts.firstTs = ts;
    if (facts.lastTs === null || ts > facts.lastTs) facts.lastTs = ts;
    onFrame(f.info, f.bytes);
  };

  let bound: { address: string; port: number };
  let close: () => Promise<void>;
  if (addr.transport === 'udp') {
    const sock = dgram.createSocket({ type: net.isIPv6(addr.host) ? 'udp6' : 'udp4' });
    await new Promise<void>((resolve, reject) => {
      sock.once('error', (e) => reject(listenError(addr, e)));
      sock.bind(addr.port, addr.host, () => resolve());
    });
    try {
      sock.setRecvBufferSize(UDP_RECV_BUFFER);
    } catch {
      // Smaller buffer: only bursts are at risk.
    }
    sock.on('error', (e) => (stopped ? undefined : endWith(`--hep-listen ${addr.text}: ${e.message}`)));
    sock.on('message', (msg) => handle(decodeHep(msg, 0, msg.length)));
    const a = sock.address();
    bound = { address: a.address, port: a.port };
    close = () => new Promise<void>((r) => sock.close(() => r()));
  } else {
    const sockets = new Set<net.Socket>();
    const server = net.createServer((s) => {
      if (sockets.size >= MAX_TCP_CONNECTIONS) {
        s.destroy();
        return;
      }
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
      let buf: Buffer = Buffer.alloc(0);
      s.on('data', (chunk: Buffer) => {
        buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
        let pos = 0;
        for (;;) {
          const n = hep3PacketLength(buf, pos, buf.length);
          if (n === null || (n > 0 && buf.length - pos < n)) break;
          if (n === 0) {
            // Not HEPv3 (or a length under 6): the stream cannot be framed any further.
            counters.received++;
            bad(`hep: stream from ${s.remoteAddress ?? '?'} is not HEPv3 at byte ${pos}; connection closed`);
            s.destroy();
            buf = Buffer.alloc(0);
            return;
          }
          handle(decodeHep(buf, pos, pos + n));
          pos += n;
        }
        buf = pos === 0 ? buf : Buffer.from(buf.subarray(pos));
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e) => reject(listenError(addr, e)));
      server.listen(addr.port, addr.host, () => resolve());
    });
    server.on('error', (e) => (stopped ? undefined : endWith(`--hep-listen ${addr.text}: ${e.message}`)));
    const a = server.address() as net.AddressInfo;
    bound = { address: a.address, port: a.port };
    close = () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    });
  }

  return {
    bound,
    counters,
    facts,
    ended,
    get markingKnown() {
      return markingKnown;
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await close();
      if (counters.noTos > 0) facts.warnings.push(`--hep-listen ${addr.text}: ${counters.noTos} of ${counters.frames} packets came without the IP TOS chunk (sngrep sends none): their DSCP is not known and was not audited`);
      if (counters.bad > 0) facts.warnings.push(`--hep-listen ${addr.text}: ${counters.bad} of ${counters.received} HEP packets could not be used (first: ${counters.firstBad})`);
      endWith(null);
    },
  };
}
