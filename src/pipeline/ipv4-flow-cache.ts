// A direct-mapped cache from an IPv4 flow's numbers (protocol, addresses,
// ports) to what a table keyed by text holds for it. Keying by text means
// making the address text of every packet; the cache skips that for flows
// seen recently. A collision only costs the caller its lookup by text.

const SLOTS = 4096;

function slotOf(proto: number, src: number, dst: number, ports: number): number {
  let h = Math.imul(src ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ dst ^ (h >>> 13), 0xc2b2ae35);
  h = Math.imul(h ^ ports ^ (h >>> 16), 0x27d4eb2f) ^ proto;
  return (h ^ (h >>> 15)) & (SLOTS - 1);
}

export class Ipv4FlowCache<V> {
  /** A slot holds an entry only when its generation is the current one: clear() is one increment. */
  private readonly generation = new Uint32Array(SLOTS);
  private current = 1;
  private readonly proto = new Uint8Array(SLOTS);
  private readonly src = new Int32Array(SLOTS);
  private readonly dst = new Int32Array(SLOTS);
  /** sport << 16 | dport */
  private readonly ports = new Int32Array(SLOTS);
  private readonly values: Array<V | undefined> = new Array<V | undefined>(SLOTS).fill(undefined);

  /** `proto`: the IP protocol number (never 0); addresses as the IPv4 header's 32 bits. */
  get(proto: number, src: number, dst: number, sport: number, dport: number): V | undefined {
    const ports = (sport << 16) | dport;
    const i = slotOf(proto, src, dst, ports);
    return this.generation[i] === this.current && this.proto[i] === proto && this.src[i] === (src | 0) && this.dst[i] === (dst | 0) && this.ports[i] === ports ? this.values[i] : undefined;
  }

  set(proto: number, src: number, dst: number, sport: number, dport: number, value: V): void {
    const ports = (sport << 16) | dport;
    const i = slotOf(proto, src, dst, ports);
    this.generation[i] = this.current;
    this.proto[i] = proto;
    this.src[i] = src;
    this.dst[i] = dst;
    this.ports[i] = ports;
    this.values[i] = value;
  }

  clear(): void {
    // After 2^32 - 1 clears the counter would meet old slots again: start over for real.
    if (++this.current === 0x1_0000_0000) {
      this.current = 1;
      this.generation.fill(0);
      this.values.fill(undefined);
    }
  }
}
