// Options shared by the commands that decode captures, and the heartbeat
// model's knobs. Precedence: defaults < --config file < flags.

import { Option } from 'commander';
import type { ByteOrder } from '../../dissectors/types.js';
import type { PipelineOptions } from '../pipeline/pipeline.js';
import { DEFAULT_HEARTBEAT_PORTS } from '../../dissectors/mds-heartbeat.js';
import { DEFAULT_DETECTOR_PARAMS, type DetectorParams } from '../heartbeat/params.js';
import { checkNumber, loadConfig, type HeartbeatConfig } from './config.js';
import { UsageError } from '../common/errors.js';
import type { ClusterParams } from '../cluster/params.js';

export interface DecodeFlags {
  hbPorts?: string;
  hbByteOrder?: string;
  config?: string;
}

export interface HeartbeatFlags extends DecodeFlags {
  hbInterval?: string;
  hbTimeout?: string;
  hbThreshold?: string;
  hbGrace?: string;
  hbReorderWindow?: string;
  resetWindow?: string;
}

/** Fresh Option objects each call: commander binds an Option to one command. */
export const decodeOptions = (): Option[] => [
  new Option('--hb-ports <lo-hi>', `UDP port range of MDS heartbeats, also found on any port by their shape (default ${DEFAULT_HEARTBEAT_PORTS.join('-')})`),
  new Option('--hb-byte-order <order>', 'force the heartbeat DWORD byte order instead of detecting it per stream').choices(['le', 'be']),
  new Option('--config <file>', 'JSON file with heartbeat settings (see README); flags override it'),
];

const d = DEFAULT_DETECTOR_PARAMS;
export const heartbeatOptions = (): Option[] => [
  new Option('--hb-interval <ms>', `heartbeat interval (default ${d.intervalMs})`),
  new Option('--hb-timeout <ms>', 'wait after a heartbeat before the first miss (default: the interval)'),
  new Option('--hb-threshold <n>', `consecutive misses that fail over (default ${d.threshold})`),
  new Option('--hb-grace <ms>', 'slack on each deadline for capture jitter (default: half the interval)'),
  new Option('--hb-reorder-window <ms>', `how long a late heartbeat may still fill a gap (default ${d.reorderWindowMs})`),
  new Option('--reset-window <ms>', `how long after a failover a TCP reset is tied to it (default ${d.resetWindowMs})`),
];

/** The cluster ports and limits: the config file's "cluster" key (no flags set them). */
export function clusterParams(f: DecodeFlags): Partial<ClusterParams> {
  return f.config ? loadConfig(f.config).cluster : {};
}

function configOf(f: DecodeFlags): HeartbeatConfig {
  return f.config ? loadConfig(f.config).heartbeat : {};
}

function portRange(text: string, from: string): [number, number] {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text);
  const lo = m ? Number(m[1]) : NaN;
  const hi = m ? Number(m[2] ?? m[1]) : NaN;
  if (!m || lo > 65535 || hi > 65535 || lo > hi) throw new UsageError(`${from}: expected a port or a range like 39500-39999, got '${text}'`);
  return [lo, hi];
}

export function pipelineOptions(f: DecodeFlags): Partial<PipelineOptions> {
  const cfg = configOf(f);
  const o: Partial<PipelineOptions> = {};
  if (f.hbPorts) o.heartbeatPorts = portRange(f.hbPorts, '--hb-ports');
  else if (cfg.ports) o.heartbeatPorts = portRange(cfg.ports, `config ${f.config}: heartbeat.ports`);
  const order = f.hbByteOrder ?? cfg.byteOrder;
  if (order) o.heartbeatByteOrder = order as ByteOrder;
  return o;
}

export function detectorFlags(f: HeartbeatFlags): Partial<DetectorParams> {
  const cfg = configOf(f);
  const pick = (flag: string | undefined, name: string, key: keyof DetectorParams, whole = false): number | undefined =>
    flag === undefined ? cfg[key] : checkNumber(flag, whole, (what) => { throw new UsageError(`${name}: ${what}`); });
  const p: Partial<DetectorParams> = {
    intervalMs: pick(f.hbInterval, '--hb-interval', 'intervalMs'),
    timeoutMs: pick(f.hbTimeout, '--hb-timeout', 'timeoutMs'),
    threshold: pick(f.hbThreshold, '--hb-threshold', 'threshold', true),
    graceMs: pick(f.hbGrace, '--hb-grace', 'graceMs'),
    reorderWindowMs: pick(f.hbReorderWindow, '--hb-reorder-window', 'reorderWindowMs'),
    resetWindowMs: pick(f.resetWindow, '--reset-window', 'resetWindowMs'),
  };
  if (p.intervalMs === 0) throw new UsageError('--hb-interval: must be more than 0');
  return p;
}

/** Re-read the heartbeat settings (SIGHUP: --config again, flags still win) and hand them on; a bad file keeps the old ones. */
export function reloadOnHangup(flags: HeartbeatFlags, apply: (p: Partial<DetectorParams>) => DetectorParams, told: (p: DetectorParams) => void): void {
  process.on('SIGHUP', () => {
    try {
      told(apply(detectorFlags(flags)));
    } catch (e) {
      process.stderr.write(`ucprobe: warning: SIGHUP: ${(e as Error).message}; the heartbeat settings stay as they were\n`);
    }
  });
}

/** "interval 100 ms, timeout 100 ms, failover at 5 misses, grace 50 ms, reorder window 1000 ms, reset window 2000 ms" */
export function settingsText(p: DetectorParams): string {
  return `interval ${p.intervalMs} ms, timeout ${p.timeoutMs} ms, failover at ${p.threshold} misses, grace ${p.graceMs} ms, reorder window ${p.reorderWindowMs} ms, reset window ${p.resetWindowMs} ms`;
}
