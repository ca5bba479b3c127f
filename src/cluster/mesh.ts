// The call-processing mesh (seed 000): every node with the call-processing
// service holds one TCP connection to every other on the ICCS port, so N
// nodes make N·(N−1)/2 links. From the connections on that port this finds
// the nodes and each link's life: up, reset (by which side), closed, or
// never seen at all; when a link went down and whether it came back. The
// CTI Manager and database replication connections are listed beside it.
//
// Bounded: at most maxNodes nodes (a cluster has at most 8 call-processing
// nodes; connections of nodes past the limit are counted, not drawn), a
// fixed number of connections kept per link, of service links and of events.

import type { ConnectionEnd, Direction, TcpConnection } from './tcp-connections.js';
import type { ClusterParams } from './params.js';
import { compareAddresses } from './addresses.js';

export type LinkState = 'up' | 'reset' | 'closed' | 'missing';

export interface DirectionFacts {
  packets: number;
  bytes: number;
  /** DSCP value -> packets. */
  dscp: Record<number, number>;
}

/** One link between two nodes, a before b in address order. */
export interface MeshLink {
  a: string;
  b: string;
  state: LinkState;
  /** Connections seen on the link, answered or not. */
  connections: number;
  /** Connections that never came up (refused, or SYNs unanswered). */
  failedAttempts: number;
  /** When the link first came up in the capture (null when it never did or was up before the capture began: see upBeforeCapture). */
  upAt: number | null;
  /** Already up when the capture began (seen mid-stream). */
  upBeforeCapture: boolean;
  /** When it went down for good (state reset or closed); null when up or missing. */
  downAt: number | null;
  /** Connections ended by a RST, and by whose. */
  resets: number;
  resetsByA: number;
  resetsByB: number;
  aToB: DirectionFacts;
  bToA: DirectionFacts;
}

export interface MeshNode {
  address: string;
  up: number;
  down: number;
  missing: number;
}

export interface MeshEvent {
  type: 'mesh-link-down' | 'mesh-link-up';
  time: number;
  a: string;
  b: string;
  /** "reset by 10.0.0.2", "closed", "came back after 12.500 s". */
  detail: string;
}

export type ClusterService = 'cti' | 'db-replication';

/** CTI Manager and database replication connections, by client, server and port. */
export interface ServiceLink {
  service: ClusterService;
  client: string;
  server: string;
  port: number;
  state: LinkState;
  connections: number;
  failedAttempts: number;
  downAt: number | null;
  resets: number;
  toServer: DirectionFacts;
  toClient: DirectionFacts;
}

export interface MeshReport {
  port: number;
  nodes: MeshNode[];
  /** N·(N−1)/2 for the N nodes. */
  expectedLinks: number;
  links: MeshLink[];
  /** Links of the full mesh never seen: "a b" pairs (also in links[] with state missing). */
  missing: number;
  events: MeshEvent[];
  eventsDropped: number;
  maxNodes: number;
  /** Nodes past maxNodes (counted up to NODES_COUNTED), and their connections, left out. */
  nodesOverLimit: number;
  connectionsOverLimit: number;
  services: ServiceLink[];
  servicesDropped: number;
}

/** Connections remembered per link (the latest), enough to tell its story; the counts cover all. */
const CONNECTIONS_PER_LINK = 256;
const MAX_SERVICE_LINKS = 1024;
const MAX_EVENTS = 1000;
const NODES_COUNTED = 65536;

/** What a connection did, for the link's timeline. */
interface Span {
  up: number | null;
  end: ConnectionEnd;
  endAt: number | null;
  by: string | null;
  midStream: boolean;
}

interface LinkTally {
  a: string;
  b: string;
  connections: number;
  failed: number;
  resets: number;
  resetsByA: number;
  resetsByB: number;
  aToB: DirectionFacts;
  bToA: DirectionFacts;
  spans: Span[];
}

interface ServiceState {
  link: ServiceLink;
  spans: Span[];
}

function facts(): DirectionFacts {
  return { packets: 0, bytes: 0, dscp: {} };
}

function addInto(f: DirectionFacts, d: Direction): void {
  f.packets += d.packets;
  f.bytes += d.bytes;
  for (const [k, n] of Object.entries(d.dscp)) f.dscp[Number(k)] = (f.dscp[Number(k)] ?? 0) + n;
}

function spanOf(c: TcpConnection): Span {
  const endAt = c.end === 'reset' || c.end === 'refused' ? c.resetAt : c.end === 'closed' ? c.closedAt : null;
  const by = c.resetBy === 'client' ? c.client : c.resetBy === 'server' ? c.server : null;
  return { up: c.establishedAt, end: c.end, endAt, by, midStream: !c.handshakeSeen };
}

function keep(spans: Span[], s: Span): void {
  spans.push(s);
  if (spans.length > CONNECTIONS_PER_LINK) spans.shift();
}

export class MeshTracker {
  private readonly nodes = new Set<string>();
  private readonly links = new Map<string, LinkTally>();
  private readonly services = new Map<string, ServiceState>();
  private readonly overLimit = new Set<string>();
  private connectionsOverLimit = 0;
  private servicesDropped = 0;

  constructor(private readonly params: ClusterParams) {}

  /** Whether the cluster views want connections to this server port. */
  wants(port: number): boolean {
    const p = this.params;
    return port === p.iccsPort || port === p.ctiPort || (port >= p.dbPorts[0] && port <= p.dbPorts[1]);
  }

  /** A connection handed over by the table (tcp-connections.ts). */
  add(c: TcpConnection): void {
    if (c.serverPort === this.params.iccsPort) this.iccs(c);
    else if (this.wants(c.serverPort)) this.service(c);
  }

  private node(addr: string): boolean {
    if (this.nodes.has(addr)) return true;
    if (this.nodes.size < this.params.maxNodes) {
      this.nodes.add(addr);
      return true;
    }
    if (this.overLimit.size < NODES_COUNTED) this.overLimit.add(addr);
    return false;
  }

  private iccs(c: TcpConnection): void {
    // Both ends must be nodes in the table; the order of the checks adds the client first, as it appeared.
    const inClient = this.node(c.client);
    const inServer = this.node(c.server);
    if (!inClient || !inServer) {
      this.connectionsOverLimit++;
      return;
    }
    const clientIsA = compareAddresses(c.client, c.server) < 0;
    const a = clientIsA ? c.client : c.server;
    const b = clientIsA ? c.server : c.client;
    const key = `${a} ${b}`;
    let l = this.links.get(key);
    if (l === undefined) {
      l = { a, b, connections: 0, failed: 0, resets: 0, resetsByA: 0, resetsByB: 0, aToB: facts(), bToA: facts(), spans: [] };
      this.links.set(key, l);
    }
    l.connections++;
    if (c.establishedAt === null) l.failed++;
    if (c.end === 'reset') {
      l.resets++;
      if ((c.resetBy === 'client') === clientIsA) l.resetsByA++;
      else l.resetsByB++;
    }
    addInto(clientIsA ? l.aToB : l.bToA, c.toServer);
    addInto(clientIsA ? l.bToA : l.aToB, c.toClient);
    keep(l.spans, spanOf(c));
  }

  private service(c: TcpConnection): void {
    const service: ClusterService = c.serverPort === this.params.ctiPort ? 'cti' : 'db-replication';
    const key = `${c.client} ${c.server} ${c.serverPort}`;
    let s = this.services.get(key);
    if (s === undefined) {
      if (this.services.size >= MAX_SERVICE_LINKS) {
        this.servicesDropped++;
        return;
      }
      s = {
        link: {
          service, client: c.client, server: c.server, port: c.serverPort, state: 'missing', connections: 0, failedAttempts: 0,
          downAt: null, resets: 0, toServer: facts(), toClient: facts(),
        },
        spans: [],
      };
      this.services.set(key, s);
    }
    const l = s.link;
    l.connections++;
    if (c.establishedAt === null) l.failedAttempts++;
    if (c.end === 'reset') l.resets++;
    addInto(l.toServer, c.toServer);
    addInto(l.toClient, c.toClient);
    keep(s.spans, spanOf(c));
  }

  /**
   * `open`: connections still open (a live view before the capture ends),
   * counted as up for this report only; the tallies stay as they are.
   */
  report(open: readonly TcpConnection[] = []): MeshReport {
    const known = new Set(this.nodes);
    const extra = new Map<string, Span[]>();
    for (const c of open) {
      if (c.serverPort !== this.params.iccsPort || c.establishedAt === null) continue;
      for (const n of [c.client, c.server]) if (known.size < this.params.maxNodes) known.add(n);
      if (!known.has(c.client) || !known.has(c.server)) continue;
      const key = compareAddresses(c.client, c.server) < 0 ? `${c.client} ${c.server}` : `${c.server} ${c.client}`;
      const list = extra.get(key) ?? [];
      list.push(spanOf(c));
      extra.set(key, list);
    }
    const nodes = [...known].sort(compareAddresses);
    const links: MeshLink[] = [];
    const events: MeshEvent[] = [];
    let missing = 0;
    for (let i = 0; i < nodes.length; i++) {
      for (let j = i + 1; j < nodes.length; j++) {
        const key = `${nodes[i]} ${nodes[j]}`;
        const more = extra.get(key);
        const tally = this.links.get(key);
        const l = more === undefined ? tally : {
          ...(tally ?? { a: nodes[i], b: nodes[j], connections: 0, failed: 0, resets: 0, resetsByA: 0, resetsByB: 0, aToB: facts(), bToA: facts(), spans: [] }),
        };
        if (l !== undefined && more !== undefined) {
          l.connections += more.length;
          l.spans = [...l.spans, ...more];
        }
        if (l === undefined) {
          missing++;
          links.push({
            a: nodes[i], b: nodes[j], state: 'missing', connections: 0, failedAttempts: 0, upAt: null, upBeforeCapture: false, downAt: null,
            resets: 0, resetsByA: 0, resetsByB: 0, aToB: facts(), bToA: facts(),
          });
          continue;
        }
        const life = lifeOf(l.spans);
        if (life.state === 'missing') missing++;
        for (const e of life.events) events.push({ ...e, a: l.a, b: l.b });
        links.push({
          a: l.a, b: l.b, state: life.state, connections: l.connections, failedAttempts: l.failed, upAt: life.upAt, upBeforeCapture: life.midStream,
          downAt: life.downAt, resets: l.resets, resetsByA: l.resetsByA, resetsByB: l.resetsByB, aToB: l.aToB, bToA: l.bToA,
        });
      }
    }
    const byNode = new Map<string, MeshNode>(nodes.map((n) => [n, { address: n, up: 0, down: 0, missing: 0 }]));
    for (const l of links) {
      for (const n of [byNode.get(l.a)!, byNode.get(l.b)!]) {
        if (l.state === 'up') n.up++;
        else if (l.state === 'missing') n.missing++;
        else n.down++;
      }
    }
    events.sort((x, y) => x.time - y.time || compareAddresses(x.a, y.a) || compareAddresses(x.b, y.b));
    const services = [...this.services.values()].map((s) => {
      const life = lifeOf(s.spans);
      return { ...s.link, state: life.state, downAt: life.downAt };
    }).sort((x, y) => x.service.localeCompare(y.service) || compareAddresses(x.server, y.server) || compareAddresses(x.client, y.client) || x.port - y.port);
    return {
      port: this.params.iccsPort,
      nodes: [...byNode.values()],
      expectedLinks: (nodes.length * (nodes.length - 1)) / 2,
      links,
      missing,
      events: events.slice(0, MAX_EVENTS),
      eventsDropped: Math.max(0, events.length - MAX_EVENTS),
      maxNodes: this.params.maxNodes,
      nodesOverLimit: this.overLimit.size,
      connectionsOverLimit: this.connectionsOverLimit,
      services,
      servicesDropped: this.servicesDropped,
    };
  }
}

interface Life {
  state: LinkState;
  upAt: number | null;
  midStream: boolean;
  downAt: number | null;
  events: Array<Omit<MeshEvent, 'a' | 'b'>>;
}

/**
 * A link's life from its connections: it is up while any of them is; it goes
 * down when the last one up ends, and comes back when one comes up again.
 */
function lifeOf(spans: Span[]): Life {
  type Step = { t: number; up: boolean; span: Span };
  const steps: Step[] = [];
  let midStream = false;
  let upAt: number | null = null;
  for (const s of spans) {
    if (s.up === null) continue;
    if (s.midStream) midStream = true;
    else upAt = upAt === null ? s.up : Math.min(upAt, s.up);
    steps.push({ t: s.up, up: true, span: s });
    if (s.endAt !== null && (s.end === 'reset' || s.end === 'closed')) steps.push({ t: s.endAt, up: false, span: s });
  }
  // At equal times the end goes first: a link reset and re-opened in the same instant went down.
  steps.sort((x, y) => x.t - y.t || Number(x.up) - Number(y.up));
  const events: Life['events'] = [];
  let open = 0;
  let downAt: number | null = null;
  let lastEnd: Span | null = null;
  for (const s of steps) {
    if (s.up) {
      if (open === 0 && downAt !== null) {
        events.push({ type: 'mesh-link-up', time: s.t, detail: `came back after ${(s.t - downAt).toFixed(3)} s` });
        downAt = null;
      }
      open++;
    } else {
      open--;
      if (open === 0) {
        downAt = s.t;
        lastEnd = s.span;
        events.push({ type: 'mesh-link-down', time: s.t, detail: s.span.end === 'reset' ? `reset by ${s.span.by}` : 'closed (FIN both ways)' });
      }
    }
  }
  let state: LinkState;
  if (steps.length === 0) state = 'missing';
  else if (open > 0) state = 'up';
  else state = lastEnd?.end === 'reset' ? 'reset' : 'closed';
  return { state, upAt, midStream, downAt: state === 'up' ? null : downAt, events };
}
