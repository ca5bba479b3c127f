// Load balancer health checks (seed 003): a balancer checks each node behind
// its virtual IP by opening a TCP connection to the service port and closing
// it again, carrying nothing, every few seconds. Such a source is a checker;
// a node that stopped answering (a RST to each SYN, or no answer) fails its
// probes. These connections are not the service's traffic: they are reported
// here and kept out of the DSCP audit's signaling verdicts.
//
// A checker is a source with at least `minProbes` payload-free connections to
// one service (address and port), one of them at least opened and closed
// cleanly: a client retrying a refused connection three times is no checker.
// Bounded: a fixed number of candidate (source, target, port) groups, kept
// by number in a flow table of their own (the client->server flow with the
// client's port 0; its eviction drops a group and counts it), and of probes
// remembered per group for the audit.

import { flowKeyOf } from '../pipeline/flow-key.js';
import { FlowSlots, FlowTable, NO_FLOW } from '../pipeline/flow-table.js';
import type { ConnectionEnd, TcpConnection } from './tcp-connections.js';
import { compareAddresses } from './addresses.js';

export interface HealthCheck {
  checker: string;
  target: string;
  port: number;
  probes: number;
  /** Probes refused (a RST to the SYN) or left unanswered. */
  failed: number;
  refused: number;
  unanswered: number;
  /** Mean time between probes, seconds; null with one probe. */
  intervalS: number | null;
  first: number;
  last: number;
  firstFailure: number | null;
  lastFailure: number | null;
  /** The probes failed from this one to the end of the capture; null when the last probe passed. */
  failingSince: number | null;
  /** DSCP value -> packets, checker to target. */
  dscp: Record<number, number>;
}

export interface HealthCheckReport {
  minProbes: number;
  checks: HealthCheck[];
  /** Candidate groups dropped to keep the table bounded (their probes were not counted). */
  groupsDropped: number;
}

const MAX_GROUPS = 4096;
/** Probes remembered per checker and target (both their flows go to the DSCP audit); failure starts kept to find a failing run. */
const MAX_PROBES_PER_GROUP = 4096;
const MAX_FAILURES_KEPT = 4096;

interface Group {
  check: HealthCheck;
  /** At least one probe opened and closed cleanly. */
  completed: boolean;
  /** The latest start of a probe that passed. */
  lastPass: number;
  /** The starts of its failed probes, the latest MAX_FAILURES_KEPT: the first `failuresKept`. */
  failureStarts: number[];
  failuresKept: number;
  /** Packets from checker to target by DSCP value (the check's `dscp`, made when reported). */
  dscp: Uint32Array;
  /** The DSCP values counted, as bits (0-31, 32-63): a reused group clears those alone. */
  dscpLow: number;
  dscpHigh: number;
  /** The client ports of its probes (each a connection from the checker's port to the target's): the first `probesKept`. */
  clientPorts: number[];
  probesKept: number;
}

export class HealthCheckTracker {
  private readonly keys = new FlowTable(MAX_GROUPS);
  private readonly groups = new FlowSlots<Group>(this.keys, (g) => this.dropped(g));
  private groupsDropped = 0;
  /** Dropped groups, for new ones. */
  private readonly spare: Group[] = [];
  /**
   * By group id, a group that is so far one unanswered probe of SYNs alone
   * (a port scan's, nearly always): 1, with the probe's start, client port,
   * SYNs and their DSCP value. It is made a Group at its second probe; until
   * then it cannot be a checker (none of its probes passed), and a scan's
   * probes reach no group object each.
   */
  private readonly lone = new Uint8Array(MAX_GROUPS);
  private readonly loneStart = new Float64Array(MAX_GROUPS);
  private readonly loneClientPort = new Uint16Array(MAX_GROUPS);
  private readonly loneSyns = new Uint32Array(MAX_GROUPS);
  private readonly loneDscp = new Uint8Array(MAX_GROUPS);

  constructor(private readonly minProbes: number) {
    this.keys.onEvict((id) => {
      if (this.lone[id] === 0) return;
      this.lone[id] = 0;
      this.groupsDropped++;
    });
  }

  /**
   * A connection handed over by the table; only payload-free ones that began
   * with a SYN are probes. `clientFlow`: its client->server flow in `flows`.
   */
  add(c: TcpConnection, flows: FlowTable, clientFlow: number): void {
    if (!c.handshakeSeen || c.toServer.bytes > 0 || c.toClient.bytes > 0 || clientFlow === NO_FLOW) return;
    // Held open at the end of the capture: an idle connection, not a probe.
    if (c.end === 'open') return;
    const id = this.keys.internFrom(flows, clientFlow, 0, c.serverPort);
    const g = this.probe(id, flows, clientFlow, c.serverPort, c.clientPort, c.synAt ?? c.first, c.end, c.client, c.server);
    // By value, not for-in: for-in over an object's integer keys makes their strings each time.
    const dscp = c.toServer.dscp;
    for (let d = 0; d < 64; d++) {
      const n = dscp[d];
      if (n !== undefined) countDscp(g, d, n);
    }
  }

  /**
   * A connection that was only its client's SYNs, `syns` of them marked
   * `dscp`, left unanswered: the probe `add` would count for it, read from
   * the flow table (a scan's probes make no connection object each).
   */
  addUnanswered(flows: FlowTable, clientFlow: number, synAt: number, syns: number, dscp: number): void {
    const serverPort = flows.dport(clientFlow);
    const clientPort = flows.sport(clientFlow);
    const id = this.keys.internFrom(flows, clientFlow, 0, serverPort);
    if (this.lone[id] === 0 && this.groups.get(id) === undefined) {
      this.lone[id] = 1;
      this.loneStart[id] = synAt;
      this.loneClientPort[id] = clientPort;
      this.loneSyns[id] = syns;
      this.loneDscp[id] = dscp;
      return;
    }
    countDscp(this.probe(id, flows, clientFlow, serverPort, clientPort, synAt, 'unanswered', null, null), dscp, syns);
  }

  /**
   * One probe of group `id` (checker, target, service port), started at
   * `start` and ended `end`: the group, made when new (named `checker` and
   * `target`, or, when null, by the client flow's addresses), with its lone
   * first probe if it had one.
   */
  private probe(id: number, flows: FlowTable, clientFlow: number, serverPort: number, clientPort: number, start: number, end: ConnectionEnd, checker: string | null, target: string | null): Group {
    let g = this.groups.get(id);
    if (g === undefined) {
      g = this.spare.pop() ?? {
        check: {
          checker: '', target: '', port: 0, probes: 0, failed: 0, refused: 0, unanswered: 0, intervalS: null,
          first: 0, last: 0, firstFailure: null, lastFailure: null, failingSince: null, dscp: {},
        },
        completed: false, lastPass: -Infinity, failureStarts: [], failuresKept: 0, dscp: new Uint32Array(64), dscpLow: 0, dscpHigh: 0, clientPorts: [], probesKept: 0,
      };
      this.groups.set(id, g);
      if (this.lone[id] === 1) {
        // Named as its first probe named it: by the client flow's addresses.
        this.lone[id] = 0;
        newGroup(g, flows.srcText(clientFlow), flows.dstText(clientFlow), serverPort, this.loneStart[id]);
        countProbe(g, this.loneStart[id], 'unanswered', this.loneClientPort[id]);
        countDscp(g, this.loneDscp[id], this.loneSyns[id]);
      } else newGroup(g, checker ?? flows.srcText(clientFlow), target ?? flows.dstText(clientFlow), serverPort, start);
    }
    countProbe(g, start, end, clientPort);
    return g;
  }

  private dropped(g: Group): void {
    this.groupsDropped++;
    this.spare.push(g);
  }

  private checkers(): Group[] {
    const out: Group[] = [];
    for (const id of this.groups.ids()) {
      const g = this.groups.get(id)!;
      if (g.completed && g.check.probes >= this.minProbes) out.push(g);
    }
    return out;
  }

  /** Both directions of every probe of every checker, by name: what the DSCP audit leaves to the health-check rules. */
  probeFlows(): Set<string> {
    const s = new Set<string>();
    for (const g of this.checkers()) {
      const h = g.check;
      for (let k = 0; k < g.probesKept; k++) {
        const port = g.clientPorts[k];
        s.add(flowKeyOf(h.checker, port, h.target, h.port)).add(flowKeyOf(h.target, h.port, h.checker, port));
      }
    }
    return s;
  }

  report(): HealthCheckReport {
    const checks = this.checkers().map((g) => {
      const h = g.check;
      let since: number | null = null;
      for (let k = 0; k < g.failuresKept; k++) {
        const f = g.failureStarts[k];
        if (f > g.lastPass && (since === null || f < since)) since = f;
      }
      const dscp: Record<number, number> = {};
      for (let d = 0; d < g.dscp.length; d++) if (g.dscp[d] > 0) dscp[d] = g.dscp[d];
      return { ...h, intervalS: h.probes > 1 ? (h.last - h.first) / (h.probes - 1) : null, failingSince: since, dscp };
    });
    checks.sort((a, b) => compareAddresses(a.checker, b.checker) || compareAddresses(a.target, b.target) || a.port - b.port);
    return { minProbes: this.minProbes, checks, groupsDropped: this.groupsDropped };
  }
}

/** A group's state for its first probe. */
function newGroup(g: Group, checker: string, target: string, port: number, start: number): void {
  const h = g.check;
  h.checker = checker;
  h.target = target;
  h.port = port;
  h.probes = h.failed = h.refused = h.unanswered = 0;
  h.first = h.last = start;
  h.firstFailure = h.lastFailure = null;
  // Only the values counted: clearing all 64 (and emptying an array) was a third of a port scan's probe.
  for (let m = g.dscpLow; m !== 0; m &= m - 1) g.dscp[31 - Math.clz32(m & -m)] = 0;
  for (let m = g.dscpHigh; m !== 0; m &= m - 1) g.dscp[63 - Math.clz32(m & -m)] = 0;
  g.dscpLow = g.dscpHigh = 0;
  g.completed = false;
  g.lastPass = -Infinity;
  g.failuresKept = 0;
  g.probesKept = 0;
}

/** One probe of the group, started at `start`, ended `end`, from the checker's port `clientPort`. */
function countProbe(g: Group, start: number, end: ConnectionEnd, clientPort: number): void {
  const h = g.check;
  h.probes++;
  h.first = Math.min(h.first, start);
  h.last = Math.max(h.last, start);
  if (end === 'refused' || end === 'unanswered') {
    h.failed++;
    if (end === 'refused') h.refused++;
    else h.unanswered++;
    h.firstFailure = h.firstFailure === null ? start : Math.min(h.firstFailure, start);
    h.lastFailure = h.lastFailure === null ? start : Math.max(h.lastFailure, start);
    if (g.failuresKept < MAX_FAILURES_KEPT) g.failureStarts[g.failuresKept++] = start;
    else {
      g.failureStarts.copyWithin(0, 1);
      g.failureStarts[MAX_FAILURES_KEPT - 1] = start;
    }
  } else {
    g.completed = true;
    g.lastPass = Math.max(g.lastPass, start);
  }
  if (g.probesKept < MAX_PROBES_PER_GROUP) g.clientPorts[g.probesKept++] = clientPort;
}

/** `n` packets from checker to target marked `dscp`. */
function countDscp(g: Group, dscp: number, n: number): void {
  g.dscp[dscp] += n;
  if (dscp < 32) g.dscpLow |= 1 << dscp;
  else g.dscpHigh |= 1 << (dscp - 32);
}
