// TCP connections from their handshake to their end, for the cluster views:
// who opened each (the SYN's sender is the client), whether it was answered,
// what each side sent (bytes, DSCP) and how it ended (a FIN from each side,
// a RST and from which side). The mesh and the health checks read the
// connections this table hands over when they end.
//
// A connection is found by the pipeline's flow ids of its two directions.
// Memory is bounded by the flow table: when it lets either direction go, the
// connection is handed over as it stands (counted when it had not ended) and
// forgotten. A connection that is so far only its client's SYNs (a scan's
// probe, a SYN not answered yet) is a few numbers by flow id, made into a
// TcpConnection when anything else comes or when it is handed over.

import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type PacketRecord } from '../../dissectors/types.js';
import { FlowSlots, FlowTable, NO_FLOW } from '../pipeline/flow-table.js';

/** How a connection ended, or stood when the capture ended. */
export type ConnectionEnd =
  /** Both sides sent FIN. */
  | 'closed'
  /** A RST after the handshake (or on a connection seen mid-stream). */
  | 'reset'
  /** The server answered the SYN with a RST. */
  | 'refused'
  /** SYNs with no answer. */
  | 'unanswered'
  /** Still open at the end of the capture (or when the table let it go). */
  | 'open';

export interface Direction {
  packets: number;
  /** TCP payload bytes. */
  bytes: number;
  /** DSCP value -> packets. */
  dscp: Record<number, number>;
  /** RSTs sent. */
  resets: number;
  fin: boolean;
}

export interface TcpConnection {
  /** The side that sent the SYN; without a SYN seen, the side not on the service port. */
  client: string;
  clientPort: number;
  server: string;
  serverPort: number;
  /** The SYN was seen: the client and server are known, not guessed. */
  handshakeSeen: boolean;
  synAt: number | null;
  /** SYNs sent (more than 1: retransmitted). */
  syns: number;
  /** The server's SYN-ACK, or the connection was seen carrying data mid-stream. */
  establishedAt: number | null;
  first: number;
  last: number;
  toServer: Direction;
  toClient: Direction;
  /** The first RST: when and from which side. */
  resetAt: number | null;
  resetBy: 'client' | 'server' | null;
  /** Both FINs seen: the later one. */
  closedAt: number | null;
  /** RFC 5626 keepalives on a SIP port: "\r\n\r\n" pings from either side, "\r\n" pongs. */
  crlfPings: number;
  crlfPongs: number;
  end: ConnectionEnd;
}

function direction(): Direction {
  return { packets: 0, bytes: 0, dscp: {}, resets: 0, fin: false };
}

/** A connection as the table holds it: the ids of its directions, and whether it was handed over. */
interface Held {
  readonly c: TcpConnection;
  /** The client->server direction's flow id (NO_FLOW until seen), the other's. */
  clientFlow: number;
  serverFlow: number;
  handed: boolean;
  /** The serial of its last packet: connections still open at the end are handed over in the order they were last seen. */
  seen: number;
}

/** Called once per connection; `clientFlow`: the flow id of its client->server direction in `flows` (NO_FLOW when never seen). */
export type ConnectionEnded = (c: TcpConnection, flows: FlowTable, clientFlow: number) => void;

/**
 * Offered first, a connection that was only its client's payload-free SYNs
 * and is handed over unanswered, as numbers: its client->server flow in
 * `flows`, the first SYN's time, the SYNs and their DSCP value. Returns
 * whether it took the connection so; if not, the connection is made whole and
 * goes to ConnectionEnded (a port scan's probes then make no object each).
 */
export type SynsUnanswered = (flows: FlowTable, clientFlow: number, synAt: number, syns: number, dscp: number) => boolean;

const CR = 0x0d;
const LF = 0x0a;

export class TcpConnections {
  /**
   * Both directions' ids of a connection lead to it; an ended one stays
   * while the flow table holds it, so its last ACKs open nothing. The
   * pipeline's table once told (useFlows), else one of its own, interned
   * from each record's header.
   */
  private byFlow: FlowSlots<Held> | null = null;
  private flows: FlowTable | null = null;
  private ownTable = false;
  private packets = 0;
  /** By flow id, a connection that is so far only SYNs of its client (payload-free, one DSCP value): 1 when held so. */
  private synOnly = new Uint8Array(0);
  private synFirst = new Float64Array(0);
  private synLast = new Float64Array(0);
  private synCount = new Uint32Array(0);
  private synDscp = new Uint8Array(0);
  private synSeen = new Float64Array(0);
  /** Connections handed over before they ended, because the flow table let one of their directions go. */
  evicted = 0;

  constructor(
    /** Called once per connection: when it ends, when a new SYN reuses its ports, when evicted, or at finish(). */
    private readonly ended: ConnectionEnded,
    /** Whether a server port is one where CRLF keepalives are SIP's. */
    private readonly sipPort: (port: number) => boolean,
    /** The flows its own table holds, when no pipeline tells it its table. */
    private readonly ownCapacity?: number,
    private readonly synsUnanswered?: SynsUnanswered,
  ) {}

  /** Key connections by the pipeline's flow ids (before any record). */
  useFlows(flows: FlowTable): void {
    this.useTable(flows, false);
  }

  readonly add = (rec: PacketRecord): void => {
    const tcp = rec.tcp;
    const ip = rec.ip;
    if (tcp === null || ip === null || rec.transport !== 'tcp') return;
    if (this.flows === null) this.useTable(new FlowTable(this.ownCapacity), true);
    const flows = this.flows!;
    const byFlow = this.byFlow!;
    const id = flows.recordFlow(rec, this.ownTable);
    if (id === NO_FLOW) return;
    const t = rec.tsSec + rec.tsNsec / 1e9;
    const flags = tcp.flags;
    const syn = (flags & TCP_SYN) !== 0;
    const ack = (flags & TCP_ACK) !== 0;
    const n = rec.payload?.length ?? 0;
    const onlySyn = (flags & (TCP_SYN | TCP_ACK | TCP_RST | TCP_FIN)) === TCP_SYN && n === 0;
    let h = byFlow.get(id);
    if (h === undefined && this.synOnly[id] === 1) {
      if (onlySyn && this.synDscp[id] === ip.dscp) {
        // One more SYN of the client's: still only SYNs.
        this.synCount[id]++;
        this.synLast[id] = t;
        this.synSeen[id] = ++this.packets;
        return;
      }
      h = this.made(id);
    } else if (h === undefined) {
      // The other direction's connection, if the table holds it.
      const back = flows.reverseOf(id);
      h = back === NO_FLOW ? undefined : byFlow.get(back) ?? (this.synOnly[back] === 1 ? this.made(back) : undefined);
      if (h !== undefined) {
        if (h.clientFlow === NO_FLOW) h.clientFlow = id;
        else h.serverFlow = id;
        byFlow.set(id, h);
      }
    }
    if (h !== undefined && syn && !ack && (h.handed || h.c.establishedAt !== null)) {
      // The client's ports reused for a new connection.
      this.forget(h);
      h = undefined;
    }
    if (h === undefined) {
      // A stray RST opens nothing.
      if ((flags & TCP_RST) !== 0 && !syn) return;
      if (onlySyn) {
        this.synOnly[id] = 1;
        this.synFirst[id] = t;
        this.synLast[id] = t;
        this.synCount[id] = 1;
        this.synDscp[id] = ip.dscp;
        this.synSeen[id] = ++this.packets;
        return;
      }
      h = this.open(rec, id, t, syn && !ack);
    } else if (h.handed) return;
    h.seen = ++this.packets;
    const c = h.c;
    const fromClient = id === h.clientFlow;
    const d = fromClient ? c.toServer : c.toClient;
    d.packets++;
    d.bytes += n;
    d.dscp[ip.dscp] = (d.dscp[ip.dscp] ?? 0) + 1;
    c.last = t;
    if (syn) {
      if (fromClient && !ack) {
        c.syns++;
        c.synAt ??= t;
      } else if (!fromClient && ack) c.establishedAt ??= t;
    } else if (c.establishedAt === null && (n > 0 || (!c.handshakeSeen && (flags & TCP_RST) === 0))) c.establishedAt = t;
    if (n > 0 && n <= 4 && this.sipPort(c.serverPort)) crlf(c, rec.payload!);
    if ((flags & TCP_RST) !== 0) {
      d.resets++;
      c.resetAt = t;
      c.resetBy = fromClient ? 'client' : 'server';
      // A refusal is the server's answer to the SYN; a client giving up its own unanswered SYN leaves it unanswered.
      c.end = c.establishedAt !== null ? 'reset' : fromClient ? 'unanswered' : 'refused';
      this.handOver(h);
    } else if ((flags & TCP_FIN) !== 0) {
      d.fin = true;
      if (c.toServer.fin && c.toClient.fin) {
        c.closedAt = t;
        c.end = 'closed';
        this.handOver(h);
      }
    }
  };

  /** The connections not handed over yet, as they stand (a live view's; the table keeps them). */
  openConnections(): TcpConnection[] {
    this.makeAll();
    const out = new Set<TcpConnection>();
    for (const h of this.held()) if (!h.handed) out.add(h.c);
    return [...out];
  }

  /** Hand over every connection not yet handed over (the end of the capture), in the order they were last seen. */
  finish(): void {
    const open = this.held().filter((h) => !h.handed);
    open.sort((a, b) => a.seen - b.seen);
    // Those held as SYNs alone go as such, in the same order.
    const synSeen = this.synSeen;
    const syns: number[] = [];
    for (let id = 0; id < this.synOnly.length; id++) if (this.synOnly[id] === 1) syns.push(id);
    syns.sort((a, b) => synSeen[a] - synSeen[b]);
    let j = 0;
    for (const h of open) {
      while (j < syns.length && synSeen[syns[j]] < h.seen) this.synsHandedOver(syns[j++]);
      this.handOver(h);
    }
    while (j < syns.length) this.synsHandedOver(syns[j++]);
    for (const h of this.held()) this.forgetIds(h);
  }

  private useTable(flows: FlowTable, own: boolean): void {
    this.flows = flows;
    this.ownTable = own;
    this.byFlow = new FlowSlots<Held>(flows, (h) => this.directionEvicted(h));
    const n = flows.capacity;
    this.synOnly = new Uint8Array(n);
    this.synFirst = new Float64Array(n);
    this.synLast = new Float64Array(n);
    this.synCount = new Uint32Array(n);
    this.synDscp = new Uint8Array(n);
    this.synSeen = new Float64Array(n);
    flows.onEvict((id) => {
      if (this.synOnly[id] === 0) return;
      // Handed over as it stood, never held.
      this.evicted++;
      this.synsHandedOver(id);
    });
  }

  /** The connection held as SYNs by client flow `id` handed over, unanswered, and forgotten. */
  private synsHandedOver(id: number): void {
    this.synOnly[id] = 0;
    const flows = this.flows!;
    if (this.synsUnanswered?.(flows, id, this.synFirst[id], this.synCount[id], this.synDscp[id]) === true) return;
    const c = this.synConnection(id);
    c.end = 'unanswered';
    this.ended(c, flows, id);
  }

  /** The connection held as SYNs by client flow `id`, made whole and held as any other. */
  private made(id: number): Held {
    const h: Held = { c: this.synConnection(id), clientFlow: id, serverFlow: NO_FLOW, handed: false, seen: this.synSeen[id] };
    this.synOnly[id] = 0;
    this.byFlow!.set(id, h);
    return h;
  }

  /** The connection of client flow `id` held as SYNs, as a TcpConnection. */
  private synConnection(id: number): TcpConnection {
    const flows = this.flows!;
    const syns = this.synCount[id];
    const first = this.synFirst[id];
    const toServer = direction();
    toServer.packets = syns;
    toServer.dscp[this.synDscp[id]] = syns;
    const c: TcpConnection = {
      client: flows.srcText(id), clientPort: flows.sport(id), server: flows.dstText(id), serverPort: flows.dport(id),
      handshakeSeen: true, synAt: first, syns, establishedAt: null, first, last: this.synLast[id],
      toServer, toClient: direction(), resetAt: null, resetBy: null, closedAt: null,
      crlfPings: 0, crlfPongs: 0, end: 'open',
    };
    return c;
  }

  /** Every connection held as SYNs, made whole. */
  private makeAll(): void {
    const synOnly = this.synOnly;
    for (let id = 0; id < synOnly.length; id++) if (synOnly[id] === 1) this.made(id);
  }

  /** The connections the table holds, each once. */
  private held(): Held[] {
    const out: Held[] = [];
    const byFlow = this.byFlow;
    if (byFlow === null) return out;
    for (const id of byFlow.ids()) {
      const h = byFlow.get(id)!;
      // Listed once: under the client's direction, or the server's when the table holds no client's.
      if (id === h.clientFlow || h.clientFlow === NO_FLOW || byFlow.get(h.clientFlow) !== h) out.push(h);
    }
    return out;
  }

  private open(rec: PacketRecord, id: number, t: number, syn: boolean): Held {
    const ip = rec.ip!;
    // Without a SYN, the lower port is taken for the service's (clients' ports are ephemeral, high).
    const forward = syn || rec.dport <= rec.sport;
    const c: TcpConnection = {
      client: forward ? ip.src : ip.dst, clientPort: forward ? rec.sport : rec.dport,
      server: forward ? ip.dst : ip.src, serverPort: forward ? rec.dport : rec.sport,
      handshakeSeen: syn, synAt: null, syns: 0, establishedAt: null, first: t, last: t,
      toServer: direction(), toClient: direction(), resetAt: null, resetBy: null, closedAt: null,
      crlfPings: 0, crlfPongs: 0, end: 'open',
    };
    const h: Held = { c, clientFlow: forward ? id : NO_FLOW, serverFlow: forward ? NO_FLOW : id, handed: false, seen: 0 };
    this.byFlow!.set(id, h);
    return h;
  }

  /** The flow table let one direction go: the connection is handed over as it stands, and its other direction forgotten. */
  private directionEvicted(h: Held): void {
    if (!h.handed) {
      this.evicted++;
      this.handOver(h);
    }
    this.forgetIds(h);
  }

  /** Out of the table, handed over first if it was not. */
  private forget(h: Held): void {
    if (!h.handed) this.handOver(h);
    this.forgetIds(h);
  }

  private forgetIds(h: Held): void {
    const byFlow = this.byFlow!;
    if (h.clientFlow !== NO_FLOW && byFlow.get(h.clientFlow) === h) byFlow.delete(h.clientFlow);
    if (h.serverFlow !== NO_FLOW && byFlow.get(h.serverFlow) === h) byFlow.delete(h.serverFlow);
  }

  private handOver(h: Held): void {
    const c = h.c;
    if (c.end === 'open' && c.establishedAt === null) c.end = 'unanswered';
    h.handed = true;
    this.ended(c, this.flows!, h.clientFlow);
  }
}

function crlf(c: TcpConnection, p: Uint8Array): void {
  if (p.length === 4 && p[0] === CR && p[1] === LF && p[2] === CR && p[3] === LF) c.crlfPings++;
  else if (p.length === 2 && p[0] === CR && p[1] === LF) c.crlfPongs++;
}
