// TCP connections from their handshake to their end, for the cluster views:
// who opened each (the SYN's sender is the client), whether it was answered,
// what each side sent (bytes, DSCP) and how it ended (a FIN from each side,
// a RST and from which side). The mesh and the health checks read the
// connections this table hands over when they end.
//
// Memory is bounded: at most `max` connections are followed; past that the
// least recently seen one is handed over as it stands and counted.

import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type PacketRecord } from '../../dissectors/types.js';
import { RecencyMap } from '../common/bounded-map.js';
import { flowKey, flowKeyOf } from '../pipeline/flow-key.js';

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
  /** The client->server flow key. */
  key: string;
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

const CR = 0x0d;
const LF = 0x0a;

export class TcpConnections {
  /** Both direction keys of a connection lead to it; an ended one stays a while, so its last ACKs open nothing. */
  private readonly table = new RecencyMap<string, TcpConnection>();
  /** Connections already handed over. */
  private readonly handed = new WeakSet<TcpConnection>();
  /** Connections handed over before they ended, to keep within `max`. */
  evicted = 0;

  constructor(
    /** Called once per connection: when it ends, when a new SYN reuses its ports, when evicted, or at finish(). */
    private readonly ended: (c: TcpConnection) => void,
    /** Whether a server port is one where CRLF keepalives are SIP's. */
    private readonly sipPort: (port: number) => boolean,
    private readonly max: number,
  ) {}

  readonly add = (rec: PacketRecord): void => {
    const tcp = rec.tcp;
    const ip = rec.ip;
    if (tcp === null || ip === null || rec.transport !== 'tcp') return;
    const t = rec.tsSec + rec.tsNsec / 1e9;
    const key = flowKey(rec);
    const flags = tcp.flags;
    const syn = (flags & TCP_SYN) !== 0;
    const ack = (flags & TCP_ACK) !== 0;
    let c = this.table.get(key);
    if (c !== undefined && syn && !ack && (this.handed.has(c) || c.establishedAt !== null)) {
      // The client's ports reused for a new connection.
      this.forget(c);
      c = undefined;
    }
    if (c === undefined) {
      // A stray RST opens nothing.
      if ((flags & TCP_RST) !== 0 && !syn) return;
      c = this.open(rec, key, t, syn && !ack);
    } else if (this.handed.has(c)) return;
    const fromClient = key === c.key;
    const d = fromClient ? c.toServer : c.toClient;
    d.packets++;
    const n = rec.payload?.length ?? 0;
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
      this.handOver(c);
    } else if ((flags & TCP_FIN) !== 0) {
      d.fin = true;
      if (c.toServer.fin && c.toClient.fin) {
        c.closedAt = t;
        c.end = 'closed';
        this.handOver(c);
      }
    }
  };

  /** The connections not handed over yet, as they stand (a live view's; the table keeps them). */
  openConnections(): TcpConnection[] {
    const out = new Set<TcpConnection>();
    for (const c of this.table.values()) if (!this.handed.has(c)) out.add(c);
    return [...out];
  }

  /** Hand over every connection not yet handed over (the end of the capture). */
  finish(): void {
    for (const c of this.table.values()) if (!this.handed.has(c)) this.handOver(c);
    this.table.clear();
  }

  private open(rec: PacketRecord, key: string, t: number, syn: boolean): TcpConnection {
    const ip = rec.ip!;
    // Without a SYN, the lower port is taken for the service's (clients' ports are ephemeral, high).
    const forward = syn || rec.dport <= rec.sport;
    const c: TcpConnection = {
      key: forward ? key : flowKeyOf(ip.dst, rec.dport, ip.src, rec.sport),
      client: forward ? ip.src : ip.dst, clientPort: forward ? rec.sport : rec.dport,
      server: forward ? ip.dst : ip.src, serverPort: forward ? rec.dport : rec.sport,
      handshakeSeen: syn, synAt: null, syns: 0, establishedAt: null, first: t, last: t,
      toServer: direction(), toClient: direction(), resetAt: null, resetBy: null, closedAt: null,
      crlfPings: 0, crlfPongs: 0, end: 'open',
    };
    this.table.set(c.key, c);
    this.table.set(backKey(c), c);
    while (this.table.size > 2 * this.max) {
      const old = this.table.oldestValue()!;
      if (!this.handed.has(old)) this.evicted++;
      this.forget(old);
    }
    return c;
  }

  /** Out of the table, handed over first if it was not. */
  private forget(c: TcpConnection): void {
    this.table.delete(c.key);
    this.table.delete(backKey(c));
    if (!this.handed.has(c)) this.handOver(c);
  }

  private handOver(c: TcpConnection): void {
    if (c.end === 'open' && c.establishedAt === null) c.end = 'unanswered';
    this.handed.add(c);
    this.ended(c);
  }
}

function backKey(c: TcpConnection): string {
  return flowKeyOf(c.server, c.serverPort, c.client, c.clientPort);
}

function crlf(c: TcpConnection, p: Uint8Array): void {
  if (p.length === 4 && p[0] === CR && p[1] === LF && p[2] === CR && p[3] === LF) c.crlfPings++;
  else if (p.length === 2 && p[0] === CR && p[1] === LF) c.crlfPongs++;
}
