// Options shared by the commands that decode captures.

import { Option } from 'commander';
import type { ByteOrder } from '../../dissectors/types.js';
import type { PipelineOptions } from '../pipeline/pipeline.js';
import { DEFAULT_HEARTBEAT_PORTS } from '../../dissectors/mds-heartbeat.js';
import { UsageError } from './errors.js';

export interface DecodeFlags {
  hbPorts?: string;
  hbByteOrder?: string;
}

/** Fresh Option objects each call: commander binds an Option to one command. */
export const decodeOptions = (): Option[] => [
  new Option('--hb-ports <lo-hi>', `UDP port range of MDS heartbeats (also found on any port by their shape)`).default(DEFAULT_HEARTBEAT_PORTS.join('-')),
  new Option('--hb-byte-order <order>', 'force the heartbeat DWORD byte order instead of detecting it per stream').choices(['le', 'be']),
];

export function pipelineOptions(f: DecodeFlags): Partial<PipelineOptions> {
  const o: Partial<PipelineOptions> = {};
  if (f.hbPorts) {
    const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(f.hbPorts);
    const lo = m ? Number(m[1]) : NaN;
    const hi = m ? Number(m[2] ?? m[1]) : NaN;
    if (!m || lo > 65535 || hi > 65535 || lo > hi) throw new UsageError(`--hb-ports: expected a port or a range like 39500-39999, got '${f.hbPorts}'`);
    o.heartbeatPorts = [lo, hi];
  }
  if (f.hbByteOrder) o.heartbeatByteOrder = f.hbByteOrder as ByteOrder;
  return o;
}
