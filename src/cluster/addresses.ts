// Addresses in the order people read them: IPv4 by value (10.0.0.9 before
// 10.0.0.10), then IPv6, then anything else by its text.

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function ipv4Value(a: string): number | null {
  const m = IPV4.exec(a);
  return m ? ((Number(m[1]) * 256 + Number(m[2])) * 256 + Number(m[3])) * 256 + Number(m[4]) : null;
}

export function compareAddresses(x: string, y: string): number {
  const a = ipv4Value(x);
  const b = ipv4Value(y);
  if (a !== null && b !== null) return a - b;
  if (a !== null) return -1;
  if (b !== null) return 1;
  return x < y ? -1 : x > y ? 1 : 0;
}
