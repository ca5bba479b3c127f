// The DSCP policy audit: a pipeline consumer that keeps, per flow (one
// direction of a 5-tuple), the DSCP values and ECN codepoints it carried and
// the applications it was seen to be, and at the end judges each flow
// against the policy. Classification waits for the report because a flow
// is known better at its end (a TCP connection turns out to be SIP; an RTP
// flow's SDP said audio or video).
//
// Memory is bounded by the pipeline's flow table, the audit's state kept by
// flow id: when the table lets a flow go, the audit judges it then and keeps
// only its verdict in the totals. A flow's name is made only for the flows
// reported at the end.

import { TCP_ACK, TCP_SYN, type AppName, type PacketRecord } from '../../dissectors/types.js';
import { SdpEndpoints, type SdpEndpoint } from '../pipeline/sdp-endpoints.js';
import { FlowSlots, FlowTable, NO_FLOW } from '../pipeline/flow-table.js';
import { batchAppName, type BatchConsumer, type UdpBatch } from '../pipeline/udp-batch.js';
import {
  APP_HEALTH_CHECK, APP_HEARTBEAT, APP_RTP_AUDIO, APP_RTP_OTHER, APP_RTP_VIDEO, APP_SIP, APP_SIP_TLS, APP_SIP_WS, appLabel,
  type DscpPolicy, type FlowFacts, type PolicyTransport,
} from './policy.js';
import { ShapeMemo } from './shape-memo.js';

export type DscpVerdict = 'violation' | 'accepted' | 'unclassified' | 'ok';
export const VERDICT_ORDER: Readonly<Record<DscpVerdict, number>> = { violation: 0, accepted: 1, unclassified: 2, ok: 3 };

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
  /** Flows the flow table let go to bound memory, judged then: their verdicts are in the counts above. */
  evicted: number;
  /** IP packets without UDP or TCP (ICMP, unreassembled fragments), or whose addresses are no addresses (a HEP sender's text): not audited. */
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

/**
 * A flow's facts the rules select on (its APP_* bits grow as packets are
 * recognised), and what it carried. Its addresses and name are read from the
 * flow table, and only while the table holds the flow: when asked for a rule
 * on addresses, a report, or at its eviction.
 */
class FlowState implements FlowFacts {
  serverPort: number | null = null;
  apps = 0;
  /** Whether an RTP packet already looked its SDP media kind up. */
  kindKnown = false;
  /**
   * Distinct DSCP values and their packet counts, in first-seen order: `kinds`
   * of them, the first in the state itself (nearly every flow carries one
   * value, and a flow judged at its eviction is judged without reaching
   * further memory), the rest in `more`.
   */
  kinds = 0;
  dscp0 = 0;
  count0 = 0;
  /** Values 2.. and their packets (made for a flow's second value, kept when the state is reused). */
  moreDscp: number[] | null = null;
  moreCount: number[] | null = null;
  packets = 0;
  ect0 = 0;
  ect1 = 0;
  ce = 0;
  // Numbers from the start (a field declared bare starts undefined, and V8 then boxes every time written to it anew: garbage per packet).
  first = 0;
  last = 0;

  constructor(
    private readonly flows: FlowTable,
    public id: number,
    public transport: PolicyTransport,
    public sport: number,
    public dport: number,
    ts: number,
  ) {
    this.first = ts;
    this.last = ts;
  }

  /** The state of a new flow, in an object whose flow was judged (a port scan's flows then make no garbage each). */
  reuse(id: number, transport: PolicyTransport, sport: number, dport: number, ts: number): this {
    this.id = id;
    this.transport = transport;
    this.sport = sport;
    this.dport = dport;
    this.first = ts;
    this.last = ts;
    this.serverPort = null;
    this.apps = 0;
    this.kindKnown = false;
    this.kinds = 0;
    this.packets = 0;
    this.ect0 = 0;
    this.ect1 = 0;
    this.ce = 0;
    return this;
  }

  /** A packet marked `dscp`, not the first value. */
  moreMarking(dscp: number): void {
    const more = (this.moreDscp ??= []);
    const count = (this.moreCount ??= []);
    const n = this.kinds - 1;
    let i = 0;
    while (i < n && more[i] !== dscp) i++;
    if (i < n) count[i]++;
    else {
      more[i] = dscp;
      count[i] = 1;
      this.kinds++;
    }
  }

  /** The k-th distinct DSCP value (k < kinds) and its packets. */
  dscpAt(k: number): number {
    return k === 0 ? this.dscp0 : this.moreDscp![k - 1];
  }

  countAt(k: number): number {
    return k === 0 ? this.count0 : this.moreCount![k - 1];
  }

  get src(): string {
    return this.flows.info(this.id).src;
  }

  get dst(): string {
    return this.flows.info(this.id).dst;
  }

  /** src:sport>dst:dport */
  get key(): string {
    return this.flows.info(this.id).key;
  }
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

/** The class of a flow no rule matched: it falls to the policy's default. */
export const UNMATCHED_CLASS = 'best-effort';
const MAX_MEDIA = 16384;

const NO_PROBES: ReadonlySet<string> = new Set();
/** The accepted alternatives of a flow no rule matched (shared, as a rule's own list is among its flows). */
const NONE_ACCEPTED: number[] = [];
/** The ECN counts of a flow that carried none, shared by the report's rows (frozen: no one may count into it). */
const NO_ECN: EcnCounts = Object.freeze({ ect0: 0, ect1: 0, ce: 0 });
/** Rows with one marking share its record by value and packets, up to this many records a report. */
const MAX_SHARED_MARKINGS = 4096;

/** Judged states kept for reuse: each eviction makes room for a new flow, which the audit may see only after a lane's batch (4,096 datagrams). */
const MAX_SPARE = 8192;

export class DscpAudit implements BatchConsumer {
  /** The media endpoints SDP announced: the pipeline's, or, fed records alone, one this audit learns itself. */
  private sdp = new SdpEndpoints(MAX_MEDIA);
  private learnsSdp = true;
  /**
   * Flows by flow id (keying a flow by text meant making the address text of
   * every packet, which cost more than the rest of the audit together): the
   * pipeline's table once told it, else a table of the audit's own (records
   * handed over one by one), interned from each record's header.
   */
  private byFlow: FlowSlots<FlowState> | null = null;
  private flowTable: FlowTable | null = null;
  private ownTable = false;
  private readonly judged: Judgement = { cls: UNMATCHED_CLASS, rule: null, expected: [], accepted: [], offPolicy: 0, alternative: 0, verdict: 'ok' };
  /** States of flows judged at their eviction, for new flows of the same table. */
  private spare: FlowState[] = [];
  private readonly totals: DscpAuditTotals = {
    flows: 0, packets: 0, violation: 0, accepted: 0, unclassified: 0, ok: 0, mixed: 0,
    asymmetricConversations: 0, evicted: 0, notAudited: 0, healthCheckFlows: 0, ecn: { ect0: 0, ect1: 0, ce: 0 },
  };

  private readonly rules: ShapeMemo;

  /** `ownCapacity`: the flows the audit's own table holds when no pipeline tells it its table. */
  constructor(private readonly policy: DscpPolicy, private readonly ownCapacity?: number) {
    this.rules = new ShapeMemo(policy);
  }

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
    if (this.flowTable === null) this.useTable(new FlowTable(this.ownCapacity), true);
    const id = this.flowTable!.recordFlow(rec, this.ownTable);
    if (id === NO_FLOW) {
      this.totals.notAudited++;
      return;
    }
    const f = this.flowById(t, this.flowTable!, id, ts);
    // A SYN goes to the server's port; a SYN-ACK comes from it.
    if (rec.tcp !== null && (rec.tcp.flags & TCP_SYN) !== 0) f.serverPort = (rec.tcp.flags & TCP_ACK) !== 0 ? rec.sport : rec.dport;
    this.observe(f, ts, ip.dscp, ip.ecn, rec.app);
  };

  useFlows(flows: FlowTable): void {
    this.useTable(flows, false);
  }

  /** The pipeline learns every record's SDP before handing it on: read its table, learn none. */
  useSdpEndpoints(sdp: SdpEndpoints): void {
    this.sdp = sdp;
    this.learnsSdp = false;
  }

  private useTable(flows: FlowTable, own: boolean): void {
    this.flowTable = flows;
    this.ownTable = own;
    this.byFlow = new FlowSlots<FlowState>(flows, (f) => this.evicted(f));
    this.spare = [];
  }

  /** Each entry is a UDP datagram: RTP, a heartbeat or no application. */
  addUdpBatch(batch: UdpBatch): void {
    if (this.flowTable !== batch.flows) this.useTable(batch.flows, false);
    const flows = batch.flows;
    for (let i = 0; i < batch.length; i++) {
      const ts = batch.tsSec[i] + batch.tsNsec[i] / 1e9;
      const f = this.flowById('udp', flows, batch.flow[i], ts);
      const tos = batch.tos[i];
      this.observe(f, ts, tos >> 2, tos & 3, batchAppName(batch.app[i]));
    }
  }

  /** The flow's state by its id, new when the id names a flow not seen yet. */
  private flowById(t: PolicyTransport, flows: FlowTable, id: number, ts: number): FlowState {
    const byFlow = this.byFlow!;
    const known = byFlow.get(id);
    if (known !== undefined) return known;
    const spare = this.spare.pop();
    const f = spare !== undefined ? spare.reuse(id, t, flows.sport(id), flows.dport(id), ts) : new FlowState(flows, id, t, flows.sport(id), flows.dport(id), ts);
    byFlow.set(id, f);
    return f;
  }

  /** One packet of the flow. */
  private observe(f: FlowState, ts: number, dscp: number, ecn: number, app: AppName | null): void {
    f.packets++;
    f.last = ts;
    if (f.kinds === 0) {
      f.dscp0 = dscp;
      f.count0 = 1;
      f.kinds = 1;
    } else if (f.dscp0 === dscp) f.count0++;
    else f.moreMarking(dscp);
    // RFC 3168 codepoints: 1 = ECT(1), 2 = ECT(0), 3 = CE.
    if (ecn === 2) f.ect0++;
    else if (ecn === 1) f.ect1++;
    else if (ecn === 3) f.ce++;
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
    // By verdict (VERDICT_ORDER), each sorted alone: the same order as one sort on all, with fewer comparisons.
    const byVerdict: FlowAudit[][] = [[], [], [], []];
    const seenPairs = new Set<string>();
    const sameMarking = new Map<number, Record<number, number>>();
    const probeRules = probes.size > 0 && this.policy.rules.some((r) => r.app === 'health-check');
    for (const f of this.heldFlows()) {
      if (probes.has(f.key)) {
        if (!probeRules) {
          totals.healthCheckFlows++;
          continue;
        }
        f.apps = APP_HEALTH_CHECK;
      }
      const j = this.judge(f);
      const dominant = dominantDscp(f);
      const back = this.reverse(f);
      const reverse = back ? { flow: back.key, dscp: dominantDscp(back) } : null;
      const asymmetric = reverse !== null && reverse.dscp !== dominant;
      if (asymmetric) {
        const pair = f.key < back!.key ? `${f.transport} ${f.key}` : `${f.transport} ${back!.key}`;
        if (!seenPairs.has(pair)) {
          seenPairs.add(pair);
          totals.asymmetricConversations++;
        }
      }
      let observed: Record<number, number>;
      if (f.kinds === 1) observed = oneMarking(sameMarking, f.dscp0, f.count0);
      else {
        observed = {};
        for (let k = 0; k < f.kinds; k++) observed[f.dscpAt(k)] = f.countAt(k);
      }
      byVerdict[VERDICT_ORDER[j.verdict]].push({
        flow: f.key, transport: f.transport, app: appLabel(f.apps), class: j.cls, rule: j.rule,
        expected: j.expected, accepted: j.accepted, observed, packets: f.packets, offPolicy: j.offPolicy,
        alternative: j.alternative, mixed: f.kinds > 1, verdict: j.verdict, ecn: f.ect0 + f.ect1 + f.ce === 0 ? NO_ECN : { ect0: f.ect0, ect1: f.ect1, ce: f.ce },
        reverse, asymmetric, first: f.first, last: f.last,
      });
      this.count(totals, f, j);
    }
    const flows: FlowAudit[] = [];
    for (const rows of byVerdict) {
      rows.sort((a, b) => b.packets - a.packets || (a.flow < b.flow ? -1 : a.flow > b.flow ? 1 : 0));
      for (const row of rows) flows.push(row);
    }
    return { policy: this.policy.name, totals, flows };
  }

  /** The flows the table holds: UDP first, then TCP (a port scan's UDP and TCP flows share their names, and the report's sort keeps this order for them). */
  private heldFlows(): FlowState[] {
    const udp: FlowState[] = [];
    const tcp: FlowState[] = [];
    const byFlow = this.byFlow;
    if (byFlow === null) return udp;
    for (const id of byFlow.ids()) {
      const f = byFlow.get(id)!;
      (f.transport === 'udp' ? udp : tcp).push(f);
    }
    return udp.concat(tcp);
  }

  /** The verdict of one flow against the policy, in `judged` (valid until the next judgement: a flow judged at its eviction makes no garbage). */
  private judge(f: FlowState): Judgement {
    // Only the other direction may have carried the handshake (its SYN or SYN-ACK).
    const serverPort = f.serverPort ?? (f.transport === 'tcp' ? this.reverse(f)?.serverPort ?? null : null);
    const idx = this.rules.classify(serverPort === f.serverPort ? f : {
      transport: f.transport, src: f.src, dst: f.dst, sport: f.sport, dport: f.dport, serverPort, apps: f.apps,
    });
    const rule = idx >= 0 ? this.policy.rules[idx] : null;
    const expected = rule ? rule.expect : this.policy.default.expect;
    const accepted = rule ? rule.accept : NONE_ACCEPTED;
    let offPolicy = 0;
    let alternative = 0;
    for (let k = 0; k < f.kinds; k++) {
      const dscp = f.dscpAt(k);
      if (holds(expected, dscp)) continue;
      if (holds(accepted, dscp)) alternative += f.countAt(k);
      else offPolicy += f.countAt(k);
    }
    let verdict: DscpVerdict;
    if (offPolicy > 0) verdict = rule || this.policy.default.enforce ? 'violation' : 'unclassified';
    else verdict = alternative > 0 ? 'accepted' : 'ok';
    const j = this.judged;
    j.cls = rule ? rule.class : UNMATCHED_CLASS;
    j.rule = rule ? idx : null;
    j.expected = expected;
    j.accepted = accepted;
    j.offPolicy = offPolicy;
    j.alternative = alternative;
    j.verdict = verdict;
    return j;
  }

  private count(totals: DscpAuditTotals, f: FlowState, j: Judgement): void {
    totals.flows++;
    totals.packets += f.packets;
    totals[j.verdict]++;
    if (f.kinds > 1) totals.mixed++;
    totals.ecn.ect0 += f.ect0;
    totals.ecn.ect1 += f.ect1;
    totals.ecn.ce += f.ce;
  }

  /** The other direction of the flow, while the table holds both. */
  private reverse(f: FlowState): FlowState | undefined {
    const back = this.flowTable!.reverseOf(f.id);
    return back === NO_FLOW ? undefined : this.byFlow!.get(back);
  }

  /** The flow table let the flow go: judged into the totals now (its id still names it). */
  private evicted(f: FlowState): void {
    this.count(this.totals, f, this.judge(f));
    if (this.spare.length < MAX_SPARE) this.spare.push(f);
    this.totals.evicted++;
  }
}

/**
 * `packets` marked `dscp`, as the report's record of a flow with one marking:
 * shared (and frozen) among the flows alike. V8 makes room for an object's
 * integer keys up to the highest, so each such record was 200-900 bytes:
 * 65,536 rows of a port scan made 40 MB of them.
 */
function oneMarking(shared: Map<number, Record<number, number>>, dscp: number, packets: number): Record<number, number> {
  const k = packets * 64 + dscp;
  let o = shared.get(k);
  if (o === undefined) {
    o = {};
    o[dscp] = packets;
    Object.freeze(o);
    if (shared.size < MAX_SHARED_MARKINGS) shared.set(k, o);
  }
  return o;
}

/** An RTP flow's class by what SDP announced at its endpoints. */
function mediaKind(e: SdpEndpoint | undefined): number {
  if (e === undefined) return APP_RTP_OTHER;
  return e.media === 'audio' ? APP_RTP_AUDIO : e.media === 'video' ? APP_RTP_VIDEO : APP_RTP_OTHER;
}

/** The DSCP value carrying most of a flow's packets (the lower value on a tie). */
function dominantDscp(f: FlowState): number {
  let best = f.dscp0;
  let most = f.count0;
  for (let k = 1; k < f.kinds; k++) {
    const d = f.dscpAt(k);
    const n = f.countAt(k);
    if (n > most || (n === most && d < best)) {
      best = d;
      most = n;
    }
  }
  return best;
}

/** Whether a policy's short list of DSCP values holds `v` (a loop: Array.includes was a tenth of judging a port scan's evicted flows). */
function holds(list: readonly number[], v: number): boolean {
  for (let i = 0; i < list.length; i++) if (list[i] === v) return true;
  return false;
}
