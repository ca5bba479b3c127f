// The DSCP policy model: an ordered list of rules, each naming a traffic
// class, what selects it (application, transport and ports, addresses) and
// the DSCP values it must carry. The first rule that matches a flow wins;
// a flow no rule matches falls to the policy's default.
//
// Matching is per flow, not per packet: a SIP-over-TCP connection carries
// bare ACKs that are not SIP themselves, and they belong to the same class.

import { BlockList, isIP } from 'node:net';

/** What the pipeline (plus the SDP media kind) told about a flow. */
/** sip matches SIP in every form; sip-tls and sip-ws only SIP over TLS, over WebSocket. */
export type PolicyApp = 'sip' | 'sip-tls' | 'sip-ws' | 'rtp' | 'rtp-audio' | 'rtp-video' | 'mds-heartbeat' | 'health-check';
export const POLICY_APPS: readonly PolicyApp[] = ['sip', 'sip-tls', 'sip-ws', 'rtp', 'rtp-audio', 'rtp-video', 'mds-heartbeat', 'health-check'];

/** Bits of the applications a flow was seen to carry. */
export const APP_SIP = 1;
export const APP_RTP_AUDIO = 2;
export const APP_RTP_VIDEO = 4;
/** RTP whose SDP media line was neither audio nor video, or was not seen. */
export const APP_RTP_OTHER = 8;
export const APP_HEARTBEAT = 16;
/** A load balancer's payload-free probe connection (src/cluster/health-checks.ts): only rules naming it apply. */
export const APP_HEALTH_CHECK = 32;
export const APP_SIP_TLS = 64;
export const APP_SIP_WS = 128;
const APP_RTP_ANY = APP_RTP_AUDIO | APP_RTP_VIDEO | APP_RTP_OTHER;

const APP_BITS: Readonly<Record<PolicyApp, number>> = {
  sip: APP_SIP | APP_SIP_TLS | APP_SIP_WS,
  'sip-tls': APP_SIP_TLS,
  'sip-ws': APP_SIP_WS,
  rtp: APP_RTP_ANY,
  'rtp-audio': APP_RTP_AUDIO,
  'rtp-video': APP_RTP_VIDEO,
  'mds-heartbeat': APP_HEARTBEAT,
  'health-check': APP_HEALTH_CHECK,
};

/** The one name shown for a flow's application bits (most specific first). */
export function appLabel(bits: number): string | null {
  if (bits & APP_HEALTH_CHECK) return 'health-check';
  if (bits & APP_SIP) return 'sip';
  if (bits & APP_SIP_TLS) return 'sip-tls';
  if (bits & APP_SIP_WS) return 'sip-ws';
  if (bits & APP_HEARTBEAT) return 'mds-heartbeat';
  if (bits & APP_RTP_VIDEO) return 'rtp-video';
  if (bits & APP_RTP_AUDIO) return 'rtp-audio';
  if (bits & APP_RTP_OTHER) return 'rtp';
  return null;
}

export type PolicyTransport = 'udp' | 'tcp';

export interface PortRange {
  lo: number;
  hi: number;
}

export interface Cidr {
  /** As written, e.g. "10.10.1.0/24". */
  text: string;
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

export interface PolicyRule {
  /** The traffic class this rule names (several rules may share one). */
  class: string;
  app?: PolicyApp;
  transport?: PolicyTransport;
  /** Either port of the flow in one of these ranges (for TCP, the server's port when the handshake was seen). */
  ports?: PortRange[];
  /** Either address of the flow inside one of these prefixes. */
  address?: Cidr[];
  /** DSCP values that pass. */
  expect: number[];
  /** DSCP values that pass with a warning (e.g. a legacy marking). */
  accept: number[];
  /** Why: the source of the expectation. */
  note?: string;
}

export interface PolicyDefault {
  /** DSCP values an unclassified flow may carry without comment (best effort). */
  expect: number[];
  /** Treat an unclassified flow marked otherwise as a violation (default: only flag it). */
  enforce: boolean;
}

export interface DscpPolicy {
  /** Where the policy came from: "default" or the file name. */
  name: string;
  rules: PolicyRule[];
  default: PolicyDefault;
}

/** The facts of one flow that rules select on. */
export interface FlowFacts {
  transport: PolicyTransport;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  /**
   * TCP: the port the connection was opened to, from its SYN or SYN-ACK
   * (null when the capture began after the handshake). Port rules then look
   * at it alone: a client's ephemeral port may fall in a rule's range
   * (Linux picks them from 32768-60999, across the heartbeat range).
   */
  serverPort: number | null;
  /** APP_* bits. */
  apps: number;
}

/** Address matching through node's BlockList (v4 and v6 prefixes), built once per rule. */
const blockLists = new WeakMap<PolicyRule, BlockList>();

function blockListOf(rule: PolicyRule): BlockList {
  let b = blockLists.get(rule);
  if (b === undefined) {
    b = new BlockList();
    for (const c of rule.address ?? []) b.addSubnet(c.address, c.prefix, c.family);
    blockLists.set(rule, b);
  }
  return b;
}

function inBlock(b: BlockList, addr: string): boolean {
  const v = isIP(addr);
  return v !== 0 && b.check(addr, v === 4 ? 'ipv4' : 'ipv6');
}

function inPorts(ranges: PortRange[], port: number): boolean {
  for (const r of ranges) if (port >= r.lo && port <= r.hi) return true;
  return false;
}

/** The lowest port Linux, Windows and the BSDs hand out as a client's ephemeral port. */
const EPHEMERAL_LOW = 32768;

/**
 * Whether the flow's service port is in the ranges: the server's port when
 * the handshake was seen; without it, either port, except that a port in the
 * ranges and in the ephemeral zone, facing a port below it, is taken as the
 * client's (a browser's port 39950 talking to X11 on 6000 is not MDS).
 */
function portsMatch(ranges: PortRange[], f: FlowFacts): boolean {
  if (f.serverPort !== null) return inPorts(ranges, f.serverPort);
  const s = inPorts(ranges, f.sport);
  const d = inPorts(ranges, f.dport);
  if (s === d) return s;
  const [hit, other] = s ? [f.sport, f.dport] : [f.dport, f.sport];
  return !(hit >= EPHEMERAL_LOW && other < EPHEMERAL_LOW);
}

export function ruleMatches(rule: PolicyRule, f: FlowFacts): boolean {
  if (rule.app !== undefined && (f.apps & APP_BITS[rule.app]) === 0) return false;
  // A health-check probe is no signaling, whatever its port: only rules naming it apply.
  if ((f.apps & APP_HEALTH_CHECK) !== 0 && rule.app !== 'health-check') return false;
  if (rule.transport !== undefined && rule.transport !== f.transport) return false;
  if (rule.ports !== undefined && !portsMatch(rule.ports, f)) return false;
  if (rule.address !== undefined) {
    const b = blockListOf(rule);
    if (!inBlock(b, f.src) && !inBlock(b, f.dst)) return false;
  }
  return true;
}

/** Index of the first rule matching the flow, -1 when none does. */
export function classify(policy: DscpPolicy, f: FlowFacts): number {
  for (let i = 0; i < policy.rules.length; i++) if (ruleMatches(policy.rules[i], f)) return i;
  return -1;
}

/** "10.0.0.0/8" or "fd00::/8" -> Cidr, or an error phrase. */
export function parseCidr(text: string): Cidr | string {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const v = isIP(address);
  if (v === 0) return `'${text}' is not an IPv4 or IPv6 address or prefix`;
  const max = v === 4 ? 32 : 128;
  const prefixText = slash < 0 ? String(max) : text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) return `'${text}': prefix length must be 0..${max}`;
  return { text, address, prefix: Number(prefixText), family: v === 4 ? 'ipv4' : 'ipv6' };
}
