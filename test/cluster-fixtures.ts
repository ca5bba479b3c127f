// Cluster captures written by the project's writer, with every figure the
// analysis must find known by construction: an ICCS mesh with links reset
// and missing, a load balancer health-checking two SIP nodes, and (in
// multicast fixtures) paging groups.

import { PcapWriter } from '../src/writer/pcap-writer.js';
import { buildTcpFrame, buildUdpFrame, rtpPayload, sipBytes, type EthernetSpec } from '../src/writer/frame-builder.js';
import { igmpFrame, igmpMessage, igmpV3Report, mldFrame, mldV2Report } from '../src/writer/membership-builder.js';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN } from '../dissectors/types.js';

export const START_SEC = 1_800_000_000;

export interface TimedFrame {
  /** Seconds after START_SEC. */
  t: number;
  frame: Uint8Array;
}

export const ETH: EthernetSpec = { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' };

/** Frames in time order (stable for equal times) into a classic pcap. */
export function writeFrames(path: string, frames: TimedFrame[]): void {
  const w = new PcapWriter(path, { precision: 'ns' });
  const sorted = frames.map((f, i) => ({ f, i })).sort((a, b) => a.f.t - b.f.t || a.i - b.i);
  for (const { f } of sorted) {
    const ns = Math.round(f.t * 1e9);
    w.writePacket(START_SEC + Math.floor(ns / 1e9), ns % 1e9, f.frame);
  }
  w.close();
}

/** One TCP connection, its segments made in the order the script says, sequence numbers kept. */
export class TcpScript {
  private cseq = 1000;
  private sseq = 5000;
  constructor(
    readonly out: TimedFrame[],
    readonly client: string,
    readonly cport: number,
    readonly server: string,
    readonly sport: number,
    /** DSCP client->server, server->client. */
    readonly dscp: [number, number] = [24, 24],
  ) {}

  private seg(t: number, fromClient: boolean, flags: number, payload?: Uint8Array): this {
    const [src, dst, sp, dp] = fromClient ? [this.client, this.server, this.cport, this.sport] : [this.server, this.client, this.sport, this.cport];
    const seq = fromClient ? this.cseq : this.sseq;
    const ack = (flags & TCP_ACK) !== 0 ? (fromClient ? this.sseq : this.cseq) : 0;
    this.out.push({ t, frame: buildTcpFrame(ETH, { src, dst, dscp: this.dscp[fromClient ? 0 : 1] }, { sport: sp, dport: dp, seq, ack, flags, window: 65535, payload }) });
    const n = (payload?.length ?? 0) + ((flags & (TCP_SYN | TCP_FIN)) !== 0 ? 1 : 0);
    if (fromClient) this.cseq += n;
    else this.sseq += n;
    return this;
  }

  syn(t: number): this {
    return this.seg(t, true, TCP_SYN);
  }

  /** SYN, SYN-ACK, ACK, 1 ms apart. */
  handshake(t: number): this {
    return this.syn(t).seg(t + 0.001, false, TCP_SYN | TCP_ACK).seg(t + 0.002, true, TCP_ACK);
  }

  /** `bytes` of data one way, acknowledged 1 ms later. */
  data(t: number, fromClient: boolean, bytes: number | Uint8Array): this {
    const p = typeof bytes === 'number' ? new Uint8Array(bytes).fill(0x41) : bytes;
    return this.seg(t, fromClient, TCP_PSH | TCP_ACK, p).seg(t + 0.001, !fromClient, TCP_ACK);
  }

  rst(t: number, fromClient: boolean): this {
    return this.seg(t, fromClient, TCP_RST | TCP_ACK);
  }

  /** The server refuses the SYN just sent. */
  refuse(t: number): this {
    return this.seg(t, false, TCP_RST | TCP_ACK);
  }

  /** FIN from one side, FIN from the other, last ACK. */
  close(t: number, fromClient: boolean): this {
    return this.seg(t, fromClient, TCP_FIN | TCP_ACK).seg(t + 0.001, !fromClient, TCP_FIN | TCP_ACK).seg(t + 0.002, fromClient, TCP_ACK);
  }
}

export const MESH_NODES = Array.from({ length: 8 }, (_, i) => `10.1.0.${i + 1}`);
export const ICCS = 8002;

/**
 * Eight call-processing nodes, each pair joined on 8002 by the lower node
 * (its port 40000+pair), 100 bytes each way every 10 s over 60 s, CS3 both
 * ways except 10.1.0.4 -> 10.1.0.6, sent best effort. 10.1.0.2-10.1.0.5 is
 * reset by 10.1.0.5 at 30 s and never comes back; 10.1.0.1-10.1.0.8 is reset
 * by 10.1.0.1 at 20 s and comes back at 25 s on a new connection;
 * 10.1.0.3-10.1.0.7 is three SYNs from 10.1.0.3 that nobody answers. Beside
 * the mesh: a CTI client 10.1.0.50 on 10.1.0.1:2748, and database
 * replication from the publisher 10.1.0.1 to 10.1.0.2 on 1500, closed at 50 s.
 */
export function meshFrames(): TimedFrame[] {
  const out: TimedFrame[] = [];
  let pair = 0;
  for (let i = 0; i < 8; i++) {
    for (let j = i + 1; j < 8; j++) {
      const a = MESH_NODES[i];
      const b = MESH_NODES[j];
      const t0 = 0.01 * pair;
      const s = new TcpScript(out, a, 40000 + pair, b, ICCS, a === '10.1.0.4' && b === '10.1.0.6' ? [0, 24] : [24, 24]);
      pair++;
      if (a === '10.1.0.3' && b === '10.1.0.7') {
        s.syn(t0).syn(t0 + 1).syn(t0 + 3);
        continue;
      }
      s.handshake(t0);
      for (let k = 1; k <= 6; k++) {
        const t = t0 + k * 10 - 5;
        if (a === '10.1.0.2' && b === '10.1.0.5' && t > 30) break;
        if (a === '10.1.0.1' && b === '10.1.0.8' && t > 20) break;
        s.data(t, true, 100).data(t + 0.1, false, 100);
      }
      if (a === '10.1.0.2' && b === '10.1.0.5') s.rst(30, false);
      if (a === '10.1.0.1' && b === '10.1.0.8') {
        s.rst(20, true);
        const again = new TcpScript(out, a, 41000, b, ICCS);
        again.handshake(25);
        for (const t of [35, 45, 55]) again.data(t, true, 100).data(t + 0.1, false, 100);
      }
    }
  }
  const cti = new TcpScript(out, '10.1.0.50', 45000, '10.1.0.1', 2748);
  cti.handshake(1).data(2, true, 300).data(3, false, 200);
  const db = new TcpScript(out, '10.1.0.1', 46000, '10.1.0.2', 1500, [0, 0]);
  db.handshake(1).data(10, true, 1000).close(50, true);
  return out;
}

export const LB = '10.2.0.100';
export const SIP_NODES = ['10.2.0.11', '10.2.0.12'];

/**
 * A load balancer 10.2.0.100 checks two SIP nodes on TCP 5060 every 5 s
 * from 0 to 55 s (12 probes each, best effort): connect, then close (node
 * .11: FIN both ways; node .12: the balancer's RST). From 30 s node .12
 * answers each SYN with a RST (6 refused). The balancer also carries SIP to
 * .11 on one connection (OPTIONS and its 200, CS3) with three RFC 5626 CRLF
 * pings answered by pongs.
 */
export function lbFrames(): TimedFrame[] {
  const out: TimedFrame[] = [];
  let port = 50000;
  for (let k = 0; k < 12; k++) {
    const t = 5 * k;
    const a = new TcpScript(out, LB, port++, SIP_NODES[0], 5060, [0, 0]);
    a.handshake(t).close(t + 0.01, true);
    const b = new TcpScript(out, LB, port++, SIP_NODES[1], 5060, [0, 0]);
    if (t >= 30) b.syn(t + 0.5).refuse(t + 0.501);
    else b.handshake(t + 0.5).rst(t + 0.51, true);
  }
  const sip = new TcpScript(out, LB, 40000, SIP_NODES[0], 5060);
  sip.handshake(0.2);
  const options = [
    'OPTIONS sip:10.2.0.11:5060;transport=tcp SIP/2.0',
    'Via: SIP/2.0/TCP 10.2.0.100:40000;branch=z9hG4bK-lb-1',
    'Max-Forwards: 70',
    'From: <sip:lb@10.2.0.100>;tag=a1',
    'To: <sip:10.2.0.11>',
    'Call-ID: lb-options-1',
    'CSeq: 1 OPTIONS',
    'Content-Length: 0',
    '', '',
  ].join('\r\n');
  const ok = [
    'SIP/2.0 200 OK',
    'Via: SIP/2.0/TCP 10.2.0.100:40000;branch=z9hG4bK-lb-1',
    'From: <sip:lb@10.2.0.100>;tag=a1',
    'To: <sip:10.2.0.11>;tag=b2',
    'Call-ID: lb-options-1',
    'CSeq: 1 OPTIONS',
    'Content-Length: 0',
    '', '',
  ].join('\r\n');
  sip.data(1, true, sipBytes(options)).data(1.01, false, sipBytes(ok));
  for (const t of [10, 20, 30]) sip.data(t, true, sipBytes('\r\n\r\n')).data(t + 0.01, false, sipBytes('\r\n'));
  return out;
}

export const PAGING_SERVER = '10.3.0.5';

/** G.711 µ-law paging RTP (160-byte frames every 20 ms) from `src` to a group, `count` packets from `start`. */
export function pagingStream(out: TimedFrame[], src: string, group: string, start: number, count: number, ssrc: number, dscp = 46): void {
  const media = new Uint8Array(160).fill(0xff);
  const v6 = group.includes(':');
  for (let k = 0; k < count; k++) {
    const payload = rtpPayload({ payloadType: 0, seq: 100 + k, timestamp: 8000 + 160 * k, ssrc, marker: k === 0 }, media);
    const ip = v6 ? { version: 6 as const, src, dst: group, dscp } : { src, dst: group, dscp, ttl: 16 };
    out.push({ t: start + 0.02 * k, frame: buildUdpFrame(ETH, ip, { sport: 32000, dport: 20480, payload }) });
  }
}

/**
 * Paging groups. A router's general IGMPv2 query at 0 s. 239.1.1.1: phones
 * 10.3.0.21 and 10.3.0.22 join by IGMPv2 at 1 s, 10.3.0.24 by IGMPv3 for
 * source 10.3.0.5 only at 1.5 s, 10.3.0.21 leaves at 8 s; the paging server
 * sends it 500 packets EF from 2 s. 239.1.1.2: 10.3.0.23 joins by IGMPv3 (any
 * source) at 1 s and is sent nothing. 239.1.1.9: 100 packets best effort from
 * 3 s, nobody joined. ff15::1:1: fe80::23 joins by MLDv2 at 1 s and is sent
 * 100 packets EF from [2001:db8::5] from 4 s.
 */
export function pagingFrames(): TimedFrame[] {
  const out: TimedFrame[] = [];
  out.push({ t: 0, frame: igmpFrame(ETH, { src: '10.3.0.1', dst: '224.0.0.1' }, igmpMessage(0x11, '0.0.0.0', 100)) });
  out.push({ t: 1, frame: igmpFrame(ETH, { src: '10.3.0.21', dst: '239.1.1.1' }, igmpMessage(0x16, '239.1.1.1')) });
  out.push({ t: 1.001, frame: igmpFrame(ETH, { src: '10.3.0.22', dst: '239.1.1.1' }, igmpMessage(0x16, '239.1.1.1')) });
  out.push({ t: 1.002, frame: igmpFrame(ETH, { src: '10.3.0.23', dst: '224.0.0.22' }, igmpV3Report([{ type: 4, group: '239.1.1.2' }])) });
  out.push({ t: 1.003, frame: mldFrame(ETH, { version: 6, src: 'fe80::23', dst: 'ff02::16' }, mldV2Report([{ type: 4, group: 'ff15::1:1' }])) });
  out.push({ t: 1.5, frame: igmpFrame(ETH, { src: '10.3.0.24', dst: '224.0.0.22' }, igmpV3Report([{ type: 3, group: '239.1.1.1', sources: [PAGING_SERVER] }])) });
  out.push({ t: 8, frame: igmpFrame(ETH, { src: '10.3.0.21', dst: '224.0.0.2' }, igmpMessage(0x17, '239.1.1.1')) });
  pagingStream(out, PAGING_SERVER, '239.1.1.1', 2, 500, 0x1001);
  pagingStream(out, PAGING_SERVER, '239.1.1.9', 3, 100, 0x1009, 0);
  pagingStream(out, '2001:db8::5', 'ff15::1:1', 4, 100, 0x1006);
  return out;
}
