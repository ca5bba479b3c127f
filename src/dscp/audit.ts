// The DSCP policy audit: a pipeline consumer that keeps, per flow (one
// direction of a 5-tuple), the DSCP values and ECN codepoints it carried and
// the applications it was seen to be, and at the end judges each flow
// against the policy. Classification waits for the report because a flow
// is known better at its end (a TCP connection turns out to be SIP; an RTP
// flow's SDP said audio or video).
//
// Memory is bounded: at most `maxFlows` flows are kept; the least recently
// seen one is judged on eviction and only its verdict kept in the totals.

import { TCP_ACK, TCP_SYN, type AppName, type PacketRecord } from '../../dissectors/types.js';
import { RecencyMap, type RecencyEntry } from '../common/bounded-map.js';
import { flowKey, flowKeyOf } from '../pipeline/flow-key.js';
import { SdpEndpoints, type SdpEndpoint } from '../pipeline/sdp-endpoints.js';
import { FlowSlots, NO_FLOW, type FlowTable } from '../pipeline/flow-table.js';
import { batchAppName, type BatchConsumer, type UdpBatch } from '../pipeline/udp-batch.js';
import {
  APP_HEALTH_CHECK, APP_HEARTBEAT, APP_RTP_AUDIO, APP_RTP_OTHER, APP_RTP_VIDEO, APP_SIP, APP_SIP_TLS, APP_SIP_WS, appLabel, classify,
  type DscpPolicy, type FlowFacts, type PolicyTransport,
} from './policy.js';

export type DscpVerdict = 'violation' | 'accepted' | 'unclassified' | 'ok';
const VERDICT_ORDER: Readonly<Record<DscpVerdict, number>> = { violation: 0, accepted: 1, unclassified: 2, ok: 3 };

export interface EcnCounts {
  ect0: number;
  ect1: number;
  ce: number;
}

export interface FlowAudit {
  /** src:sport>dst:dport */
  flow: string;
  transport: PolicyTransport;
  /** What the pipeline recognised: sip, rtp-audio, rtp-video, rtp, mds-heartbeat; null for none. */
  app: string | null;
  /** The matched rule's class, or "best-effort" when no rule matched. */
  class: string;
  /** Index of the matched rule in the policy, null for none. */
  rule: number | null;
  expected: number[];
  accepted: number[];
  /** DSCP value -> packets. */
  observed: Record<number, number>;
  packets: number;
  /** Packets marked neither expected nor accepted. */
  offPolicy: number;
  /** Packets marked with an accepted alternative. */
  alternative: number;
  /** More than one DSCP value within the flow. */
  mixed: boolean;
  verdict: DscpVerdict;
  ecn: EcnCounts;
  /** The other direction of the conversation, if seen: its key and most used DSCP. */
  reverse: { flow: string; dscp: number } | null;
  /** Both directions seen, with different most-used markings. */
  asymmetric: boolean;
  first: number;
  last: number;
}

/** A flow's DSCP values with their packets, most used first (ties: lower value first). */
export function observedByPackets(f: Pick<FlowAudit, 'observed'>): Array<[dscp: number, packets: number]> {
  return Object.entries(f.observed).map(([d, n]): [number, number] => [Number(d), n]).sort((a, b) => b[1] - a[1] || a[0] - b[0]);
}

export interface DscpAuditTotals {
  flows: number;
  packets: number;
  violation: number;
  accepted: number;
  unclassified: number;
  ok: number;
  mixed: number;
  /** Conversations (flow pairs) whose two directions are marked differently. */
  asymmetricConversations: number;
  /** Flows dropped from the table to bound memory; their verdicts are in the counts above. */
  evicted: number;
  /** IP packets without UDP or TCP (ICMP, unreassembled fragments): not audited. */
  notAudited: number;
  /** Load balancer health-check probe flows no policy rule names (app health-check): reported as health checks, not audited. */
  healthCheckFlows: number;
  ecn: EcnCounts;
}

export interface DscpAuditReport {
  policy: string;
  totals: DscpAuditTotals;
  /** Violations first, then accepted alternatives, unclassified, ok; by packets within each. */
  flows: FlowAudit[];
}

/** A flow's facts the rules select on (its APP_* bits grow as packets are recognised), and what it carried. */
interface FlowState extends FlowFacts {
  key: string;
  /** Whether an RTP packet already looked its SDP media kind up. */
  kindKnown: boolean;
  /** Distinct DSCP values and their packet counts, in first-seen order (flows rarely have more than one or two). */
  dscp: number[];
  count: number[];
  packets: number;
  ecn: EcnCounts;
  first: number;
  last: number;
  /** Its place in its table's recency order. */
  entry: RecencyEntry<string, FlowState> | null;
  /** Left the table: a cache slot still holding it must not count into it. */
  gone: boolean;
}

interface Judgement {
  cls: string;
  rule: number | null;
  expected: number[];
  accepted: number[];
  offPolicy: number;
  alternative: number;
  verdict: DscpVerdict;
}

export const DEFAULT_MAX_FLOWS = 16384;
/** The class of a flow no rule matched: it falls to the policy's default. */
export const UNMATCHED_CLASS = 'best-effort';
const MAX_MEDIA = 16384;

const NO_PROBES: ReadonlySet<string> = new Set();

export class DscpAudit implements BatchConsumer {
  private readonly udp = new RecencyMap<string, FlowState>();
  private readonly tcp = new RecencyMap<string, FlowState>();
  /** The media endpoints SDP announced: the pipeline's, or, fed records alone, one this audit learns itself. */
  private sdp = new SdpEndpoints(MAX_MEDIA);
  private learnsSdp = true;
  /**
   * Flows by the pipeline's flow id. Keying a flow by text means making the
   * address text of every packet, which cost more than the rest of the audit
   * together; the id skips it for flows already seen.
   */
  private byFlow: FlowSlots<FlowState> | null = null;
  private flowTable: FlowTable | null = null;
  private readonly totals: DscpAuditTotals = {
    flows: 0, packets: 0, violation: 0, accepted: 0, unclassified: 0, ok: 0, mixed: 0,
    asymmetricConversations: 0, evicted: 0, notAudited: 0, healthCheckFlows: 0, ecn: { ect0: 0, ect1: 0, ce: 0 },
  };

  constructor(private readonly policy: DscpPolicy, private readonly maxFlows = DEFAULT_MAX_FLOWS) {}

  readonly add = (rec: PacketRecord): void => {
    const ip = rec.ip;
    if (!ip) return;
    if (rec.sip && this.learnsSdp) this.sdp.learn(rec);
    const t = rec.transport;
    if (t !== 'udp' && t !== 'tcp') {
      this.totals.notAudited++;
      return;
    }
    const ts = rec.tsSec + rec.tsNsec / 1e9;
    const f = rec.flow !== NO_FLOW && this.flowTable !== null
      ? this.flowById(t, this.flowTable, rec.flow, ts)
      : this.flow(t, flowKey(rec), ip.src, ip.dst, rec.sport, rec.dport, ts);
    // A SYN goes to the server's port; a SYN-ACK comes from it.
    if (rec.tcp !== null && (rec.tcp.flags & TCP_SYN) !== 0) f.serverPort = (rec.tcp.flags & TCP_ACK) !== 0 ? rec.sport : rec.dport;
    this.observe(f, ts, ip.dscp, ip.ecn, rec.app);
  };

  useFlows(flows: FlowTable): void {
    this.flowTable = flows;
    this.byFlow = new FlowSlots(flows);
  }

  /** The pipeline learns every record's SDP before handing it on: read its table, learn none. */
  useSdpEndpoints(sdp: SdpEndpoints): void {
    this.sdp = sdp;
    this.learnsSdp = false;
  }

  /** Each entry is a UDP datagram: RTP, a heartbeat or no application. */
  addUdpBatch(batch: UdpBatch): void {
    if (this.flowTable !== batch.flows) this.useFlows(batch.flows);
    const flows = batch.flows;
    for (let i = 0; i < batch.length; i++) {
      const ts = batch.tsSec[i] + batch.tsNsec[i] / 1e9;
      const f = this.flowById('udp', flows, batch.flow[i], ts);
      const tos = batch.tos[i];
      this.observe(f, ts, tos >> 2, tos & 3, batchAppName(batch.app[i]));
    }
  }

  /** A flow by the pipeline's id, found by its key the first time the id is seen. */
  private flowById(t: PolicyTransport, flows: FlowTable, id: number, ts: number): FlowState {
    const byFlow = this.byFlow!;
    const cached = byFlow.get(id);
    if (cached !== undefined && !cached.gone) {
      (t === 'udp' ? this.udp : this.tcp).touch(cached.entry!);
      return cached;
    }
    const info = flows.info(id);
    const f = this.flow(t, info.key, info.src, info.dst, info.sport, info.dport, ts);
    byFlow.set(id, f);
    return f;
  }

  /** A flow by its key, marked as recently used; a new one when the table has none. */
  private flow(t: PolicyTransport, key: string, src: string, dst: string, sport: number, dport: number, ts: number): FlowState {
    const table = t === 'udp' ? this.udp : this.tcp;
    const known = table.get(key);
    if (known !== undefined) return known;
    const f: FlowState = {
      key, transport: t, src, dst, sport, dport, serverPort: null, apps: 0, kindKnown: false,
      dscp: [], count: [], packets: 0, ecn: { ect0: 0, ect1: 0, ce: 0 }, first: ts, last: ts, entry: null, gone: false,
    };
    f.entry = table.set(key, f);
    if (this.udp.size + this.tcp.size > this.maxFlows) this.evictOldest();
    return f;
  }

  /** One packet of the flow. */
  private observe(f: FlowState, ts: number, dscp: number, ecn: number, app: AppName | null): void {
    f.packets++;
    f.last = ts;
    const i = f.dscp.indexOf(dscp);
    if (i >= 0) f.count[i]++;
    else {
      f.dscp.push(dscp);
      f.count.push(1);
    }
    // RFC 3168 codepoints: 1 = ECT(1), 2 = ECT(0), 3 = CE.
    if (ecn === 2) f.ecn.ect0++;
    else if (ecn === 1) f.ecn.ect1++;
    else if (ecn === 3) f.ecn.ce++;
    switch (app) {
      case 'sip': f.apps |= APP_SIP; break;
      case 'sip-tls': f.apps |= APP_SIP_TLS; break;
      case 'sip-ws': f.apps |= APP_SIP_WS; break;
      case 'mds-heartbeat': f.apps |= APP_HEARTBEAT; break;
      case 'rtp':
        if (!f.kindKnown) {
          f.kindKnown = true;
          f.apps |= mediaKind(this.sdp.at(f.dst, f.dport) ?? this.sdp.at(f.src, f.sport));
        }
        break;
      default: break;
    }
  }

  /**
   * The verdicts. `probes`: flow keys of health-check probes (src/cluster/):
   * judged only by rules naming app health-check, and left out when none does,
   * so a balancer's checks on the SIP port are not taken for signaling.
   */
  report(probes: ReadonlySet<string> = NO_PROBES): DscpAuditReport {
    const totals: DscpAuditTotals = { ...this.totals, ecn: { ...this.totals.ecn } };
    const flows: FlowAudit[] = [];
    const seenPairs = new Set<string>();
    const probeRules = probes.size > 0 && this.policy.rules.some((r) => r.app === 'health-check');
    for (const table of [this.udp, this.tcp]) {
      for (const f of table.values()) {
        if (probes.has(f.key)) {
          if (!probeRules) {
            totals.healthCheckFlows++;
            continue;
          }
          f.apps = APP_HEALTH_CHECK;
        }
        const j = this.judge(f);
        const dominant = dominantDscp(f);
        const back = table.peek(flowKeyOf(f.dst, f.dport, f.src, f.sport));
        const reverse = back ? { flow: back.key, dscp: dominantDscp(back) } : null;
        const asymmetric = reverse !== null && reverse.dscp !== dominant;
        if (asymmetric) {
          const pair = f.key < back!.key ? `${f.transport} ${f.key}` : `${f.transport} ${back!.key}`;
          if (!seenPairs.has(pair)) {
            seenPairs.add(pair);
            totals.asymmetricConversations++;
          }
        }
        const observed: Record<number, number> = {};
        f.dscp.forEach((d, k) => (observed[d] = f.count[k]));
        flows.push({
          flow: f.key, transport: f.transport, app: appLabel(f.apps), class: j.cls, rule: j.rule,
          expected: j.expected, accepted: j.accepted, observed, packets: f.packets, offPolicy: j.offPolicy,
          alternative: j.alternative, mixed: f.dscp.length > 1, verdict: j.verdict, ecn: { ...f.ecn },
          reverse, asymmetric, first: f.first, last: f.last,
        });
        this.count(totals, f, j);
      }
    }
    flows.sort((a, b) => VERDICT_ORDER[a.verdict] - VERDICT_ORDER[b.verdict] || b.packets - a.packets || (a.flow < b.flow ? -1 : a.flow > b.flow ? 1 : 0));
    return { policy: this.policy.name, totals, flows };
  }

  /** The verdict of one flow against the policy. */
  private judge(f: FlowState): Judgement {
    // Only the other direction may have carried the handshake (its SYN or SYN-ACK).
    const serverPort = f.serverPort ?? (f.transport === 'tcp' ? this.tcp.peek(flowKeyOf(f.dst, f.dport, f.src, f.sport))?.serverPort ?? null : null);
    const idx = classify(this.policy, serverPort === f.serverPort ? f : { ...f, serverPort });
    const rule = idx >= 0 ? this.policy.rules[idx] : null;
    const expected = rule ? rule.expect : this.policy.default.expect;
    const accepted = rule ? rule.accept : [];
    let offPolicy = 0;
    let alternative = 0;
    for (let k = 0; k < f.dscp.length; k++) {
      if (expected.includes(f.dscp[k])) continue;
      if (accepted.includes(f.dscp[k])) alternative += f.count[k];
      else offPolicy += f.count[k];
    }
    let verdict: DscpVerdict;
    if (offPolicy > 0) verdict = rule || this.policy.default.enforce ? 'violation' : 'unclassified';
    else verdict = alternative > 0 ? 'accepted' : 'ok';
    return { cls: rule ? rule.class : UNMATCHED_CLASS, rule: rule ? idx : null, expected, accepted, offPolicy, alternative, verdict };
  }

  private count(totals: DscpAuditTotals, f: FlowState, j: Judgement): void {
    totals.flows++;
    totals.packets += f.packets;
    totals[j.verdict]++;
    if (f.dscp.length > 1) totals.mixed++;
    totals.ecn.ect0 += f.ecn.ect0;
    totals.ecn.ect1 += f.ecn.ect1;
    totals.ecn.ce += f.ecn.ce;
  }

  /** Judge the least recently seen flow of either table into the totals, and forget it. */
  private evictOldest(): void {
    const u = this.udp.oldestValue();
    const t = this.tcp.oldestValue();
    const victim = u === undefined ? t : t === undefined ? u : u.last <= t.last ? u : t;
    if (victim === undefined) return;
    (victim.transport === 'udp' ? this.udp : this.tcp).delete(victim.key);
    victim.gone = true;
    this.count(this.totals, victim, this.judge(victim));
    this.totals.evicted++;
  }
}

/** An RTP flow's class by what SDP announced at its endpoints. */
function mediaKind(e: SdpEndpoint | undefined): number {
  if (e === undefined) return APP_RTP_OTHER;
  return e.media === 'audio' ? APP_RTP_AUDIO : e.media === 'video' ? APP_RTP_VIDEO : APP_RTP_OTHER;
}

/** The DSCP value carrying most of a flow's packets (the lower value on a tie). */
function dominantDscp(f: FlowState): number {
  let best = 0;
  for (let k = 1; k < f.dscp.length; k++) {
    if (f.count[k] > f.count[best] || (f.count[k] === f.count[best] && f.dscp[k] < f.dscp[best])) best = k;
  }
  return f.dscp[best];
}
