// ucprobe's records as the protobuf messages of src/pb/ucprobe.proto: one
// function per message, from the record the analyzers already produce.
// `null` becomes an absent optional field (`undefined` here; protobufjs skips it).

import type { IpHeader, PacketRecord, SipMessage } from '../../dissectors/types.js';
import type { HeartbeatEvent } from '../heartbeat/events.js';
import type { StreamReport } from '../heartbeat/detector.js';
import type { CallRecord } from '../sip/dialogs.js';
import type { KeepalivePair } from '../sip/keepalives.js';
import type { FlowAudit } from '../dscp/audit.js';
import type { CaptureSummary } from '../analysis/analyze.js';
import type { LiveEvent } from '../live/view-model.js';
import type { CallMedia, RtpStreamReport } from '../media/analyzer.js';
import type { MeshLink, ServiceLink } from '../cluster/mesh.js';
import type { HealthCheck } from '../cluster/health-checks.js';
import type { MulticastGroup } from '../cluster/multicast.js';
import {
  APP, TRANSPORT, VERDICT,
  type PbCapture, type PbDscpVerdict, type PbHealthCheck, type PbMeshLink, type PbMulticastGroup, type PbHeartbeatEvent, type PbHeartbeatStream, type PbIp, type PbKeepalive,
  type PbLiveEvent, type PbPacket, type PbRtpStream, type PbSipCall, type PbSipMessage,
} from './messages.js';

const opt = <T>(v: T | null | undefined): T | undefined => v ?? undefined;

function ipMessage(ip: IpHeader): PbIp {
  return {
    version: ip.version, src: ip.src, dst: ip.dst, dscp: ip.dscp, ecn: ip.ecn, ttl: ip.ttl, proto: ip.proto,
    fragment: ip.fragment ? { offset: ip.fragment.offset, moreFragments: ip.fragment.moreFragments } : undefined,
  };
}

export function sipMessage(m: SipMessage): PbSipMessage {
  return {
    method: m.method, requestUri: m.requestUri, status: m.status, reason: m.reason,
    callId: opt(m.callId), cseq: m.cseq ? `${m.cseq.seq} ${m.cseq.method}` : undefined,
    from: opt(m.from), to: opt(m.to), fromTag: opt(m.fromTag), toTag: opt(m.toTag), branch: opt(m.branch),
    contentType: opt(m.contentType), length: m.length, hasSdp: m.sdp !== null && m.sdp.error === undefined, error: m.error,
  };
}

export function packetMessage(rec: PacketRecord): PbPacket {
  const withPorts = rec.transport !== null;
  return {
    frame: rec.frame, tsSec: rec.tsSec, tsNsec: rec.tsNsec, caplen: rec.caplen, len: rec.len, linkType: rec.linkType, iface: rec.iface,
    truncated: rec.truncated,
    vlans: rec.vlans ?? [],
    tunnels: rec.outerIp?.map(ipMessage) ?? [],
    ip: rec.ip ? ipMessage(rec.ip) : undefined,
    transport: rec.transport ? TRANSPORT[rec.transport] : TRANSPORT.none,
    sport: withPorts ? rec.sport : undefined,
    dport: withPorts ? rec.dport : undefined,
    tcpFlags: rec.tcp?.flags,
    payloadLength: rec.payload?.length ?? 0,
    app: rec.app ? APP[rec.app] : APP.none,
    heartbeat: rec.hb ? { seq: rec.hb.seq, byteOrder: rec.hb.byteOrder } : undefined,
    rtp: rec.rtp ? { payloadType: rec.rtp.payloadType, seq: rec.rtp.seq, timestamp: rec.rtp.timestamp, ssrc: rec.rtp.ssrc, marker: rec.rtp.marker } : undefined,
    sip: rec.sip?.map(sipMessage) ?? [],
    error: opt(rec.error),
  };
}

/** `declaredAt`: when a live detector declared it (the wall clock), for live and monitor streams. */
export function heartbeatEventMessage(e: HeartbeatEvent, declaredAt?: number): PbHeartbeatEvent {
  const head = { time: e.time, stream: e.stream ?? '', declaredAt };
  switch (e.type) {
    case 'loss':
      return { ...head, loss: { afterSeq: e.afterSeq, nextSeq: opt(e.nextSeq), lost: opt(e.lost), misses: e.misses, lastHeard: e.lastHeard, resumed: opt(e.resumed), blind: e.blind } };
    case 'failover':
      return { ...head, failover: { noticedBy: e.noticedBy, peer: e.peer, lastHeard: e.lastHeard, lastSeq: e.lastSeq, reset: opt(e.reset) } };
    case 'recovery':
      return { ...head, recovery: { seq: e.seq, downMs: e.downMs } };
    case 'restart':
      return { ...head, restart: { fromSeq: e.fromSeq, toSeq: e.toSeq, nearZero: e.nearZero } };
    case 'reset':
    case 'unexplained-reset':
      return {
        ...head,
        reset: {
          explained: e.type === 'reset', src: e.src, sport: e.sport, dst: e.dst, dport: e.dport,
          failoverTime: opt(e.failoverTime), delayMs: opt(e.delayMs),
        },
      };
    case 'monitor-stalled':
      return { ...head, monitorStalled: { lastHeard: e.lastHeard, lastSeq: e.lastSeq, blindFrom: e.blindFrom, blindTo: e.blindTo, drops: e.drops } };
  }
}

export function heartbeatStreamMessage(s: StreamReport): PbHeartbeatStream {
  const { intervalMs, jitterMs, ...rest } = s;
  return { ...rest, intervalMs: opt(intervalMs), jitterMs: opt(jitterMs) };
}

/** `media`: the call's RTP quality (analyze), when it has any. */
export function sipCallMessage(c: CallRecord, media?: CallMedia): PbSipCall {
  return {
    callId: c.callId, fromTag: opt(c.fromTag), toTag: opt(c.toTag), from: c.from, to: c.to, caller: c.caller, start: c.start,
    state: c.state, code: opt(c.code), setupMs: opt(c.setupMs), pddMs: opt(c.pddMs), ringMs: opt(c.ringMs), durationMs: opt(c.durationMs),
    answered: opt(c.answered), ended: opt(c.ended), byeFrom: opt(c.byeFrom), midDialog: c.midDialog,
    messages: c.messages, retransmissions: c.retransmissions, hosts: c.hosts,
    media: c.media.map((m) => ({ ...m, address: opt(m.address) })),
    dscp: c.dscp,
    mos: opt(media?.mos), mediaLossPercent: media?.lossPercent, mediaJitterMs: opt(media?.jitterMs),
    ackMs: opt(c.ackMs), noAck: c.noAck?.decided, noAckWaitedMs: c.noAck?.waitedMs, noAckAnswerRetransmissions: c.noAck?.answerRetransmissions,
  };
}

export function rtpStreamMessage(s: RtpStreamReport): PbRtpStream {
  return {
    flow: s.flow, ssrc: s.ssrc, callId: opt(s.callId), codecs: s.payloadTypes.map((p) => p.name), clockRate: opt(s.clockRate),
    first: s.first, last: s.last, packets: s.packets, expected: s.expected, lost: s.lost, lossPercent: s.lossPercent,
    duplicates: s.duplicates, outOfOrder: s.outOfOrder, seqErrors: s.seqErrors, wraps: s.wraps,
    deltaMaxMs: s.deltaMs?.max, jitterMeanMs: s.jitterMs?.mean, jitterMaxMs: s.jitterMs?.max, dscp: s.dscp, late: s.late,
    mos: s.quality?.mos, rFactor: s.quality?.rFactor, effectiveLossPercent: s.quality?.effectiveLossPercent,
    rtcpFractionLostPercent: s.rtcp?.fractionLostPercent, rtcpCumulativeLost: s.rtcp?.cumulativeLost, rtcpJitterMs: opt(s.rtcp?.jitterMs),
    rtcpRttMs: opt(s.rtcp?.rttMs), dtmfPackets: s.events.packets,
  };
}

export function keepaliveMessage(k: KeepalivePair): PbKeepalive {
  const { intervalMs, responseMs, lastAnswered, longestGapFrom, longestGapTo, ...rest } = k;
  return {
    ...rest, intervalMs: opt(intervalMs), responseMs: opt(responseMs), lastAnswered: opt(lastAnswered),
    longestGapFrom: opt(longestGapFrom), longestGapTo: opt(longestGapTo),
  };
}

export function dscpVerdictMessage(f: FlowAudit, policy: string): PbDscpVerdict {
  return {
    flow: f.flow, transport: f.transport, app: opt(f.app), class: f.class, rule: opt(f.rule),
    expected: f.expected, accepted: f.accepted, observed: f.observed, packets: f.packets, offPolicy: f.offPolicy,
    alternative: f.alternative, mixed: f.mixed, verdict: VERDICT[f.verdict], ecn: f.ecn, reverse: opt(f.reverse),
    asymmetric: f.asymmetric, first: f.first, last: f.last, policy,
  };
}

export function captureMessage(file: string, c: CaptureSummary, error: string | null): PbCapture {
  return {
    file, format: c.format, byteOrder: c.byteOrder, gzip: c.gzip, packets: c.packets, truncatedPackets: c.truncatedPackets, bytes: c.bytes,
    first: opt(c.first), last: opt(c.last), interfaces: c.interfaces, error: opt(error),
  };
}

export function liveEventMessage(e: LiveEvent): PbLiveEvent {
  return { time: e.time, kind: e.kind, severity: e.severity, subject: e.subject, text: e.text };
}

export function meshLinkMessage(l: MeshLink, port: number): PbMeshLink {
  return {
    service: 'iccs', a: l.a, b: l.b, port, state: l.state, connections: l.connections, failedAttempts: l.failedAttempts,
    upAt: opt(l.upAt), downAt: opt(l.downAt), resets: l.resets, resetsByA: l.resetsByA, resetsByB: l.resetsByB,
    bytesAToB: l.aToB.bytes, bytesBToA: l.bToA.bytes, dscpAToB: l.aToB.dscp, dscpBToA: l.bToA.dscp,
  };
}

export function serviceLinkMessage(s: ServiceLink): PbMeshLink {
  return {
    service: s.service, a: s.client, b: s.server, port: s.port, state: s.state, connections: s.connections, failedAttempts: s.failedAttempts,
    downAt: opt(s.downAt), resets: s.resets, resetsByA: 0, resetsByB: 0,
    bytesAToB: s.toServer.bytes, bytesBToA: s.toClient.bytes, dscpAToB: s.toServer.dscp, dscpBToA: s.toClient.dscp,
  };
}

export function healthCheckMessage(h: HealthCheck): PbHealthCheck {
  const { intervalS, firstFailure, lastFailure, failingSince, ...rest } = h;
  return { ...rest, intervalS: opt(intervalS), firstFailure: opt(firstFailure), lastFailure: opt(lastFailure), failingSince: opt(failingSince) };
}

export function multicastGroupMessage(g: MulticastGroup): PbMulticastGroup {
  return {
    group: g.group, members: g.members, joins: g.joins, leaves: g.leaves, silentMembers: g.silentMembers,
    streams: g.streams.map((s) => ({ flow: s.flow, ssrc: s.ssrc, packets: s.packets, lost: s.lost, dscp: s.dscp, markedEf: s.markedEf, nobodyJoined: s.nobodyJoined })),
  };
}
