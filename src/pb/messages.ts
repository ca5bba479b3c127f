// The plain objects protobufjs encodes for src/pb/ucprobe.proto, typed. Field
// names are the .proto's in camelCase (protobufjs's convention); an optional
// field is left out when ucprobe has no value; enums are their numbers.
// Keep in step with the .proto: test/pb.test.ts checks every record against it.

import type { CaptureSummary } from '../analysis/analyze.js';
import type { StreamReport } from '../heartbeat/detector.js';
import type { ResetLink } from '../heartbeat/events.js';
import type { KeepalivePair } from '../sip/keepalives.js';
import type { HealthCheck } from '../cluster/health-checks.js';
import type { SetupTimes } from '../sip/dialogs.js';

export const SCHEMA_VERSION = 1;

export const TRANSPORT = { none: 0, udp: 1, tcp: 2 } as const;
export const APP = { none: 0, 'mds-heartbeat': 1, sip: 2, rtp: 3, 'sip-tls': 4, 'sip-ws': 5 } as const;
export const VERDICT = { ok: 1, accepted: 2, violation: 3, unclassified: 4 } as const;

export interface PbHeader {
  schemaVersion: number;
  tool: string;
  toolVersion: string;
  command: string;
  sources: string[];
  writtenAt: number;
}

export interface PbEnd {
  records: number;
  error: string;
}

export interface PbIp {
  version: number;
  src: string;
  dst: string;
  dscp: number;
  ecn: number;
  ttl: number;
  proto: number;
  fragment?: { offset: number; moreFragments: boolean };
}

export interface PbSipMessage {
  method?: string;
  requestUri?: string;
  status?: number;
  reason?: string;
  callId?: string;
  cseq?: string;
  from?: string;
  to?: string;
  fromTag?: string;
  toTag?: string;
  branch?: string;
  contentType?: string;
  length: number;
  hasSdp: boolean;
  error?: string;
}

export interface PbPacket {
  frame: number;
  tsSec: number;
  tsNsec: number;
  caplen: number;
  len: number;
  linkType: number;
  iface: number;
  truncated: boolean;
  vlans: number[];
  tunnels: PbIp[];
  ip?: PbIp;
  transport: number;
  sport?: number;
  dport?: number;
  tcpFlags?: number;
  payloadLength: number;
  app: number;
  heartbeat?: { seq: number; byteOrder: string };
  rtp?: { payloadType: number; seq: number; timestamp: number; ssrc: number; marker: boolean };
  sip: PbSipMessage[];
  error?: string;
}

export type PbResetLink = ResetLink;

export interface PbHeartbeatEvent {
  time: number;
  stream: string;
  declaredAt?: number;
  loss?: { afterSeq: number; nextSeq?: number; lost?: number; misses: number; lastHeard: number; resumed?: number; blind?: boolean };
  failover?: { noticedBy: string; peer: string; lastHeard: number; lastSeq: number; reset?: PbResetLink };
  recovery?: { seq: number; downMs: number };
  restart?: { fromSeq: number; toSeq: number; nearZero: boolean };
  reset?: { explained: boolean; src: string; sport: number; dst: string; dport: number; failoverTime?: number; delayMs?: number };
  monitorStalled?: { lastHeard: number; lastSeq: number; blindFrom: number; blindTo: number; drops: number };
}

/** A record whose fields mirror a message's one for one: null becomes an absent optional field. */
type NullToOptional<T> =
  & { [K in keyof T as null extends T[K] ? never : K]: T[K] }
  & { [K in keyof T as null extends T[K] ? K : never]?: Exclude<T[K], null> };

export type PbHeartbeatStream = NullToOptional<StreamReport>;

export interface PbCallMedia {
  side: string;
  sender: string;
  media: string;
  address?: string;
  port: number;
  proto: string;
  payloadTypes: number[];
  codecs: string[];
}

export interface PbRtpStream {
  flow: string;
  ssrc: string;
  callId?: string;
  codecs: string[];
  clockRate?: number;
  first: number;
  last: number;
  packets: number;
  expected: number;
  lost: number;
  lossPercent: number;
  duplicates: number;
  outOfOrder: number;
  seqErrors: number;
  wraps: number;
  deltaMaxMs?: number;
  jitterMeanMs?: number;
  jitterMaxMs?: number;
  dscp: Record<string, number>;
  late: number;
  mos?: number;
  rFactor?: number;
  effectiveLossPercent?: number;
  rtcpFractionLostPercent?: number;
  rtcpCumulativeLost?: number;
  rtcpJitterMs?: number;
  rtcpRttMs?: number;
  dtmfPackets: number;
}

export interface PbSipCall {
  callId: string;
  fromTag?: string;
  toTag?: string;
  from: string;
  to: string;
  caller: string;
  start: number;
  state: string;
  code?: number;
  setupMs?: number;
  pddMs?: number;
  ringMs?: number;
  durationMs?: number;
  answered?: number;
  ended?: number;
  byeFrom?: string;
  midDialog: boolean;
  messages: number;
  retransmissions: number;
  hosts: string[];
  media: PbCallMedia[];
  dscp: Record<string, number>;
  mos?: number;
  mediaLossPercent?: number;
  mediaJitterMs?: number;
  ackMs?: number;
  noAck?: string;
  noAckWaitedMs?: number;
  noAckAnswerRetransmissions?: number;
}

/** Every field is always set: the record is left out when no call was answered. */
export type PbSipSetupTimes = SetupTimes;

export type PbKeepalive = NullToOptional<KeepalivePair>;

export interface PbDscpVerdict {
  flow: string;
  transport: string;
  app?: string;
  class: string;
  rule?: number;
  expected: number[];
  accepted: number[];
  observed: Record<string, number>;
  packets: number;
  offPolicy: number;
  alternative: number;
  mixed: boolean;
  verdict: number;
  ecn: { ect0: number; ect1: number; ce: number };
  reverse?: { flow: string; dscp: number };
  asymmetric: boolean;
  first: number;
  last: number;
  policy: string;
}

export type PbCaptureInterface = CaptureSummary['interfaces'][number];

export interface PbCapture {
  file: string;
  format: string;
  byteOrder: string;
  gzip: boolean;
  packets: number;
  truncatedPackets: number;
  bytes: number;
  first?: number;
  last?: number;
  interfaces: PbCaptureInterface[];
  error?: string;
}

export interface PbLiveEvent {
  time: number;
  kind: string;
  severity: string;
  subject: string;
  text: string;
}

export interface PbMeshLink {
  service: string;
  a: string;
  b: string;
  port: number;
  state: string;
  connections: number;
  failedAttempts: number;
  upAt?: number;
  downAt?: number;
  resets: number;
  resetsByA: number;
  resetsByB: number;
  bytesAToB: number;
  bytesBToA: number;
  dscpAToB: Record<string, number>;
  dscpBToA: Record<string, number>;
}

export type PbHealthCheck = NullToOptional<HealthCheck>;

export interface PbMulticastGroup {
  group: string;
  members: string[];
  joins: number;
  leaves: number;
  streams: Array<{ flow: string; ssrc: string; packets: number; lost: number; dscp: Record<string, number>; markedEf: boolean; nobodyJoined: boolean }>;
  silentMembers: string[];
}

/** One `Record`: exactly one kind set. */
export type PbRecord =
  | { header: PbHeader }
  | { packet: PbPacket }
  | { heartbeatEvent: PbHeartbeatEvent }
  | { sipCall: PbSipCall }
  | { sipSetup: PbSipSetupTimes }
  | { dscpVerdict: PbDscpVerdict }
  | { heartbeatStream: PbHeartbeatStream }
  | { keepalive: PbKeepalive }
  | { liveEvent: PbLiveEvent }
  | { capture: PbCapture }
  | { rtpStream: PbRtpStream }
  | { meshLink: PbMeshLink }
  | { healthCheck: PbHealthCheck }
  | { multicastGroup: PbMulticastGroup }
  | { end: PbEnd };
