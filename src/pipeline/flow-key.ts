// The one way every analyzer names a flow: "src:sport>dst:dport" for a
// direction, with IPv6 addresses in brackets; and an order-free form for both.

import type { PacketRecord } from '../../dissectors/types.js';

export function endpoint(addr: string, port: number): string {
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}

/** Directional key of a record with an IP header. */
export function flowKey(rec: PacketRecord): string {
  const ip = rec.ip!;
  return `${endpoint(ip.src, rec.sport)}>${endpoint(ip.dst, rec.dport)}`;
}

/** Same key for both directions: the lower endpoint first. */
export function pairKeyOf(a: string, b: string): string {
  return a < b ? `${a}<>${b}` : `${b}<>${a}`;
}
