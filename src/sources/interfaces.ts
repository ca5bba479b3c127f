// `ucprobe interfaces`: the capture devices libpcap sees, with their
// addresses. The list comes from the `cap` addon (pcap_findalldevs) when it is
// built, else from `tcpdump -D` with the addresses Node knows; the up/running
// flags come from `tcpdump -D` whenever tcpdump is installed.

import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { networkInterfaces } from 'node:os';
import { CaptureError } from './types.js';

export interface CaptureDevice {
  name: string;
  description: string | null;
  addresses: string[];
  /** As tcpdump -D says: Up, Running, Loopback, ... (empty when unknown). */
  flags: string[];
}

interface CapDevice {
  name: string;
  description?: string;
  addresses: Array<{ addr: string }>;
  flags?: string;
}

function capDevices(): CapDevice[] | null {
  try {
    const cap = createRequire(import.meta.url)('cap') as { Cap: { deviceList(): CapDevice[] } };
    return cap.Cap.deviceList();
  } catch {
    return null;
  }
}

/** tcpdump -D lines: "3.lo [Up, Running, Loopback]" or "2.any (Pseudo-device ...) [Up, Running]". */
function tcpdumpDevices(): Map<string, { description: string | null; flags: string[] }> | null {
  const r = spawnSync('tcpdump', ['-D'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return null;
  const out = new Map<string, { description: string | null; flags: string[] }>();
  for (const line of r.stdout.split('\n')) {
    const m = /^\d+\.(\S+)(?: \((.*)\))?(?: \[(.*)\])?$/.exec(line.trim());
    if (m) out.set(m[1], { description: m[2] ?? null, flags: m[3] && m[3] !== 'none' ? m[3].split(', ') : [] });
  }
  return out;
}

export function listCaptureDevices(): CaptureDevice[] {
  const fromCap = capDevices();
  const fromTcpdump = tcpdumpDevices();
  if (fromCap) {
    return fromCap.map((d) => ({
      name: d.name,
      description: d.description ?? fromTcpdump?.get(d.name)?.description ?? null,
      addresses: d.addresses.map((a) => a.addr),
      flags: fromTcpdump?.get(d.name)?.flags ?? (d.flags ? [d.flags.replace(/^PCAP_IF_/, '').toLowerCase()] : []),
    }));
  }
  if (fromTcpdump) {
    const addrs = networkInterfaces();
    return [...fromTcpdump].map(([name, d]) => ({ name, description: d.description, addresses: (addrs[name] ?? []).map((a) => a.address), flags: d.flags }));
  }
  throw new CaptureError('cannot list capture devices: libpcap is not available (apt-get install tcpdump libpcap-dev, then npm rebuild cap)');
}
