// How many frames carried each layer: the "protocol counts" of a capture.

import type { PacketRecord } from '../../dissectors/types.js';
import { BATCH_HEARTBEAT, BATCH_RTP, type BatchConsumer, type UdpBatch } from '../pipeline/udp-batch.js';

export interface ProtocolCounts {
  frames: number;
  ipv4: number;
  ipv6: number;
  /** Frames with at least one tunnel carrier (IP-in-IP, GRE). */
  tunnelled: number;
  vlanTagged: number;
  fragments: number;
  udp: number;
  tcp: number;
  tcpRst: number;
  otherIp: number;
  nonIp: number;
  mdsHeartbeat: number;
  sip: number;
  /** Segments of SIP over TLS and over WebSocket flows (with payload). */
  sipTls: number;
  sipWs: number;
  rtp: number;
  /** Group membership messages: IGMP, and MLD in ICMPv6. */
  igmp: number;
  mld: number;
  truncated: number;
  errors: number;
}

export class ProtocolCounter implements BatchConsumer {
  readonly counts: ProtocolCounts = {
    frames: 0, ipv4: 0, ipv6: 0, tunnelled: 0, vlanTagged: 0, fragments: 0, udp: 0, tcp: 0, tcpRst: 0,
    otherIp: 0, nonIp: 0, mdsHeartbeat: 0, sip: 0, sipTls: 0, sipWs: 0, rtp: 0, igmp: 0, mld: 0, truncated: 0, errors: 0,
  };

  readonly add = (rec: PacketRecord): void => {
    const c = this.counts;
    c.frames++;
    if (rec.truncated) c.truncated++;
    if (rec.error) c.errors++;
    if (rec.vlans) c.vlanTagged++;
    if (!rec.ip) {
      c.nonIp++;
      return;
    }
    if (rec.ip.version === 4) c.ipv4++;
    else c.ipv6++;
    if (rec.outerIp) c.tunnelled++;
    if (rec.ip.fragment) c.fragments++;
    if (rec.transport === 'udp') c.udp++;
    else if (rec.transport === 'tcp') {
      c.tcp++;
      if (rec.tcp && rec.tcp.flags & 0x04) c.tcpRst++;
    } else if (!rec.ip.fragment) c.otherIp++;
    // With the datagrams a shape-recognised stream's promotion rests on (counted once recognised).
    if (rec.app === 'mds-heartbeat') c.mdsHeartbeat += 1 + (rec.hb?.earlier?.length ?? 0);
    else if (rec.app === 'sip') c.sip++;
    else if (rec.app === 'rtp') c.rtp++;
    else if (rec.app === 'sip-tls') c.sipTls++;
    else if (rec.app === 'sip-ws') c.sipWs++;
    else if (rec.membership) c[rec.membership.protocol]++;
  };

  /** Each entry is a frame of UDP over IPv4 or IPv6: RTP, a heartbeat or no application. */
  addUdpBatch(batch: UdpBatch): void {
    const c = this.counts;
    const n = batch.length;
    c.frames += n;
    c.udp += n;
    let ipv6 = 0;
    const earlier = batch.hbEarlier.size > 0 ? batch.hbEarlier : null;
    for (let i = 0; i < n; i++) {
      c.vlanTagged += batch.vlanTagged[i];
      ipv6 += batch.ipv6[i];
      const app = batch.app[i];
      if (app === BATCH_RTP) c.rtp++;
      else if (app === BATCH_HEARTBEAT) c.mdsHeartbeat += 1 + (earlier?.get(i)?.length ?? 0);
    }
    c.ipv6 += ipv6;
    c.ipv4 += n - ipv6;
  }
}
