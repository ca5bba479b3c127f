// `dissect --app/--host/--port`: which packets to print. Every option given
// must match. The application is what the pipeline recognised, so a
// heartbeat found by its shape on any port is picked as surely as one on the
// heartbeat range, which no capture filter on ports can do.

import { BlockList, isIP } from 'node:net';
import type { PacketRecord } from '../../dissectors/types.js';
import { UsageError } from '../common/errors.js';
import { port } from './parse.js';

/** The application names `--app` takes: the record's `app`, or none. */
const APPS = ['mds-heartbeat', 'sip', 'rtp', 'none'];

export interface PacketFilterFlags {
  app?: string;
  host?: string;
  port?: string;
}

export type PacketFilter = (rec: PacketRecord) => boolean;

/** The filter the flags ask for, or null when they ask for none; a bad value is a UsageError. */
export function packetFilter(f: PacketFilterFlags): PacketFilter | null {
  const tests: PacketFilter[] = [];
  if (f.app !== undefined) {
    const wanted = new Set(f.app.split(',').map((a) => a.trim().toLowerCase()));
    for (const a of wanted) if (!APPS.includes(a)) throw new UsageError(`--app: expected ${APPS.join(', ')} (comma-separated), got '${a}'`);
    tests.push((r) => wanted.has(r.app ?? 'none'));
  }
  if (f.host !== undefined) {
    const v = isIP(f.host);
    if (v === 0) throw new UsageError(`--host: expected an IPv4 or IPv6 address, got '${f.host}'`);
    // A BlockList compares addresses, not their text: fd00::1 and fd00:0::1 are one host.
    const host = new BlockList();
    const family = v === 4 ? 'ipv4' : 'ipv6';
    host.addAddress(f.host, family);
    const is = (a: string): boolean => isIP(a) === v && host.check(a, family);
    tests.push((r) => r.ip !== null && (is(r.ip.src) || is(r.ip.dst)));
  }
  if (f.port !== undefined) {
    const p = port(f.port, '--port');
    tests.push((r) => r.transport !== null && (r.sport === p || r.dport === p));
  }
  if (tests.length === 0) return null;
  return (r) => tests.every((t) => t(r));
}
