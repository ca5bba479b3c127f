// The monitor's UDP socket through the native receiver (src/native/
// udp-receiver.c): datagrams with the kernel's arrival time, the address they
// were sent to, and the socket's drop counter. Node's dgram gives none of the
// three: its time would be when JavaScript got round to the datagram, so a
// stalled process would see a burst after a silence and call it a failover.

import { createRequire } from 'node:module';

interface ReceiverAddon {
  open(address: string, port: number, rcvbuf: number): { fd: number; port: number; rcvbuf: number; forced: number };
  recv(fd: number, data: Uint8Array, slot: number, meta: Float64Array, addrs: Uint8Array, status: Float64Array): number;
  drops(fd: number): number;
  close(fd: number): void;
}

/** Per datagram in `meta` (udp-receiver.c's M_*). */
const M = { LEN: 0, CAPLEN: 1, SEC: 2, NSEC: 3, SPORT: 4, DROPS: 5, FAMILY: 6 } as const;
const META_STRIDE = 7;
const ADDR_STRIDE = 32;
/** Datagrams read per call, and the room for each (longer ones are cut and counted). */
const BATCH = 256;
const SLOT = 2048;

/** One datagram; the object and its views are reused, valid only during the callback. */
export interface KernelDatagram {
  payload: Uint8Array;
  /** The datagram's length on the wire (longer than `payload` when it was cut). */
  length: number;
  tsSec: number;
  tsNsec: number;
  /** 4 bytes (IPv4, also when it came to a dual-stack socket) or 16. */
  src: Uint8Array;
  sport: number;
  /** The address it was sent to (IP_PKTINFO), even on a socket bound to all addresses. */
  dst: Uint8Array;
  /** The socket's drop counter when this datagram was queued. */
  drops: number;
}

let loaded: ReceiverAddon | null | undefined;
let loadError = '';

/** The addon, or null with `kernelReceiverError()` saying why. */
export function kernelReceiver(): ReceiverAddon | null {
  if (loaded !== undefined) return loaded;
  const require = createRequire(import.meta.url);
  // Built into dist/native/ (the package); run from the sources (tests under tsx), node-gyp's own folder.
  for (const path of ['../../native/udp_receiver.node', '../native/build/Release/udp_receiver.node']) {
    try {
      loaded = require(path) as ReceiverAddon;
      return loaded;
    } catch (e) {
      loadError ||= (e as Error).message.split('\n')[0];
    }
  }
  loaded = null;
  return loaded;
}

export function kernelReceiverError(): string {
  return loadError;
}

/** The address at `o`: its 4 bytes for IPv4, also when written as ::ffff:a.b.c.d (a dual-stack socket). */
function address(b: Uint8Array, o: number, v6: boolean): Uint8Array {
  if (!v6) return b.subarray(o, o + 4);
  let mapped = b[o + 10] === 0xff && b[o + 11] === 0xff;
  for (let i = 0; mapped && i < 10; i++) mapped = b[o + i] === 0;
  return mapped ? b.subarray(o + 12, o + 16) : b.subarray(o, o + 16);
}

export class KernelUdpSocket {
  readonly port: number;
  /** What the kernel granted for the receive buffer (it reports twice what was asked, for its bookkeeping). */
  readonly rcvbuf: number;
  /** Whether the size passed net.core.rmem_max (SO_RCVBUFFORCE, root or CAP_NET_ADMIN). */
  readonly forced: boolean;
  /** Datagrams longer than a receive slot: cut, and counted here. */
  truncated = 0;
  private readonly data = new Uint8Array(BATCH * SLOT);
  private readonly meta = new Float64Array(BATCH * META_STRIDE);
  private readonly addrs = new Uint8Array(BATCH * ADDR_STRIDE);
  private readonly status = new Float64Array(3);
  private readonly d: KernelDatagram = { payload: this.data, length: 0, tsSec: 0, tsNsec: 0, src: this.addrs, sport: 0, dst: this.addrs, drops: 0 };
  private fd: number;

  constructor(private readonly addon: ReceiverAddon, address: string, port: number, rcvbufBytes: number) {
    const s = addon.open(address, port, rcvbufBytes);
    this.fd = s.fd;
    this.port = s.port;
    this.rcvbuf = s.rcvbuf;
    this.forced = s.forced === 1;
  }

  /**
   * Reads everything the kernel has queued, handing on each datagram in
   * arrival order. Returns the time (epoch s) up to which every arrival has
   * been seen: the clock read just before the read that found the queue empty.
   */
  drain(each: (d: KernelDatagram) => void): number {
    const { data, meta, addrs, status, d } = this;
    for (;;) {
      const n = this.addon.recv(this.fd, data, SLOT, meta, addrs, status);
      for (let i = 0; i < n; i++) {
        const m = i * META_STRIDE;
        const v6 = meta[m + M.FAMILY] === 6;
        d.length = meta[m + M.LEN];
        const caplen = meta[m + M.CAPLEN];
        if (caplen < d.length) this.truncated++;
        d.payload = data.subarray(i * SLOT, i * SLOT + caplen);
        d.tsSec = meta[m + M.SEC];
        d.tsNsec = meta[m + M.NSEC];
        d.src = address(addrs, i * ADDR_STRIDE, v6);
        d.sport = meta[m + M.SPORT];
        d.dst = address(addrs, i * ADDR_STRIDE + 16, v6);
        d.drops = meta[m + M.DROPS];
        each(d);
      }
      if (status[2] === 1) return status[0] + status[1] / 1e9;
    }
  }

  /** Datagrams the kernel dropped for this socket so far (its queue was full). */
  drops(): number {
    return this.fd < 0 ? 0 : Math.max(0, this.addon.drops(this.fd));
  }

  close(): void {
    if (this.fd >= 0) this.addon.close(this.fd);
    this.fd = -1;
  }
}
