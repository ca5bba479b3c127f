// The cluster views as one consumer of the pipeline: TCP connections feed
// the call-processing mesh and the load balancer health checks; SIP-over-TCP
// connections count their RFC 5626 CRLF keepalives; IGMP and MLD feed the
// multicast groups. UDP is none of its business (multicast RTP is taken from
// the media analysis at report time), so it takes the fast lane's batches
// and ignores them.

import type { PacketRecord } from '../../dissectors/types.js';
import type { BatchConsumer, UdpBatch } from '../pipeline/udp-batch.js';
import type { FlowTable } from '../pipeline/flow-table.js';
import { DEFAULT_CLUSTER_PARAMS, type ClusterParams } from './params.js';
import { TcpConnections, type TcpConnection } from './tcp-connections.js';
import { MeshTracker, type MeshReport } from './mesh.js';
import { HealthCheckTracker, type HealthCheck } from './health-checks.js';
import { MulticastTracker, type MulticastReport } from './multicast.js';
import type { RtpStreamReport } from '../media/analyzer.js';

export interface CrlfKeepalives {
  /** "\r\n\r\n" pings and "\r\n" pongs on SIP-over-TCP connections. */
  pings: number;
  pongs: number;
  /** Connections that carried any. */
  connections: number;
}

export interface ClusterReport {
  mesh: MeshReport;
  /** One entry per checker and target. */
  healthChecks: HealthCheck[];
  /** What makes a checker, and candidate pairs dropped to bound memory. */
  healthCheckLimits: { minProbes: number; groupsDropped: number };
  sipCrlfKeepalives: CrlfKeepalives;
  /** TCP connections handed over before they ended, because the flow table let one of their directions go. */
  connectionsEvicted: number;
}

/** What a live view reads while the capture goes on. */
export interface ClusterSnapshot {
  mesh: MeshReport;
  healthChecks: HealthCheck[];
  multicast: MulticastReport;
}

export class ClusterAnalyzer implements BatchConsumer {
  private readonly params: ClusterParams;
  private readonly mesh: MeshTracker;
  private readonly checks: HealthCheckTracker;
  private readonly tcp: TcpConnections;
  private readonly crlf: CrlfKeepalives = { pings: 0, pongs: 0, connections: 0 };
  private readonly groups = new MulticastTracker();
  private finished: ClusterReport | null = null;

  constructor(params: Partial<ClusterParams> = {}) {
    this.params = { ...DEFAULT_CLUSTER_PARAMS, ...params };
    this.mesh = new MeshTracker(this.params);
    this.checks = new HealthCheckTracker(this.params.healthCheckMinProbes);
    const sip = new Set(this.params.sipPorts);
    this.tcp = new TcpConnections(
      (c, flows, clientFlow) => this.ended(c, flows, clientFlow), (port) => sip.has(port), undefined,
      (flows, clientFlow, synAt, syns, dscp) => this.synsUnanswered(flows, clientFlow, synAt, syns, dscp),
    );
  }

  useFlows(flows: FlowTable): void {
    this.tcp.useFlows(flows);
  }

  readonly add = (rec: PacketRecord): void => {
    if (rec.transport === 'tcp') this.tcp.add(rec);
    else if (rec.membership !== null) this.groups.add(rec);
  };

  addUdpBatch(_batch: UdpBatch): void {}

  private ended(c: TcpConnection, flows: FlowTable, clientFlow: number): void {
    if (c.crlfPings + c.crlfPongs > 0) {
      this.crlf.pings += c.crlfPings;
      this.crlf.pongs += c.crlfPongs;
      this.crlf.connections++;
    }
    if (this.mesh.wants(c.serverPort)) this.mesh.add(c);
    else this.checks.add(c, flows, clientFlow);
  }

  /** SYNs alone, unanswered (a scan's probe): a health-check probe that failed, unless the mesh wants the connection whole. */
  private synsUnanswered(flows: FlowTable, clientFlow: number, synAt: number, syns: number, dscp: number): boolean {
    if (this.mesh.wants(flows.dport(clientFlow))) return false;
    this.checks.addUnanswered(flows, clientFlow, synAt, syns, dscp);
    return true;
  }

  /** The end of the capture: connections still open are taken as they stand. Call once; later calls return the same. */
  report(): ClusterReport {
    if (this.finished) return this.finished;
    this.tcp.finish();
    const checks = this.checks.report();
    this.finished = {
      mesh: this.mesh.report(),
      healthChecks: checks.checks,
      healthCheckLimits: { minProbes: checks.minProbes, groupsDropped: checks.groupsDropped },
      sipCrlfKeepalives: { ...this.crlf },
      connectionsEvicted: this.tcp.evicted,
    };
    return this.finished;
  }

  /**
   * The views so far, for a live session: connections still open count as
   * they stand, and nothing is settled (report() may still be called after).
   */
  snapshot(rtp: readonly RtpStreamReport[]): ClusterSnapshot {
    if (this.finished) return { mesh: this.finished.mesh, healthChecks: this.finished.healthChecks, multicast: this.groups.report(rtp) };
    return { mesh: this.mesh.report(this.tcp.openConnections()), healthChecks: this.checks.report().checks, multicast: this.groups.report(rtp) };
  }

  /** Health-check probe flows found so far (a live view's DSCP audit leaves them to the health-check rules, as analyze does). */
  probeFlowsSoFar(): Set<string> {
    return this.finished ? this.probeFlows() : this.checks.probeFlows();
  }

  /** The multicast groups, with the RTP streams the media analysis found sent to them. Call once. */
  multicast(rtp: readonly RtpStreamReport[]): MulticastReport {
    return this.groups.report(rtp);
  }

  /** Both directions of every health-check probe (after report()). */
  probeFlows(): Set<string> {
    this.report();
    return this.checks.probeFlows();
  }
}
