// The optional JSON config file (`--config`): heartbeat settings a lab keeps
// per cluster, so scripts need not repeat them. Flags override it.
//
//   { "heartbeat": { "ports": "39500-39999", "byteOrder": "le", "intervalMs": 100, "timeoutMs": 100,
//                    "threshold": 5, "graceMs": 50, "reorderWindowMs": 1000, "resetWindowMs": 2000 },
//     "cluster": { "iccsPort": 8002, "ctiPort": 2748, "dbPorts": "1500-1501", "sipPorts": [5060],
//                  "maxNodes": 64, "healthCheckMinProbes": 3 } }

import { readFileSync } from 'node:fs';
import type { DetectorParams } from '../heartbeat/params.js';
import type { ClusterParams } from '../cluster/params.js';
import { UsageError } from '../common/errors.js';

export interface HeartbeatConfig extends Partial<DetectorParams> {
  ports?: string;
  byteOrder?: 'le' | 'be';
}

export interface Config {
  heartbeat: HeartbeatConfig;
  cluster: Partial<ClusterParams>;
}

const CLUSTER_PORT_KEYS = ['iccsPort', 'ctiPort'] as const;
const CLUSTER_COUNT_KEYS = ['maxNodes', 'healthCheckMinProbes'] as const;

const NUMBER_KEYS = ['intervalMs', 'timeoutMs', 'threshold', 'graceMs', 'reorderWindowMs', 'resetWindowMs'] as const;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Read and check a config file; every problem is one line naming the file and the key. */
export function loadConfig(path: string): Config {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new UsageError(`config ${path}: ${err.code === 'ENOENT' ? 'no such file' : err.code ? err.message : `not JSON: ${err.message}`}`);
  }
  const bad = (key: string, what: string): never => {
    throw new UsageError(`config ${path}: ${key}: ${what}`);
  };
  if (!isObject(raw)) bad('(top level)', 'expected an object');
  const top = raw as Record<string, unknown>;
  for (const k of Object.keys(top)) if (k !== 'heartbeat' && k !== 'cluster') bad(k, 'unknown key (known: heartbeat, cluster)');
  const hb = top.heartbeat ?? {};
  if (!isObject(hb)) bad('heartbeat', 'expected an object');
  const out: HeartbeatConfig = {};
  for (const [k, v] of Object.entries(hb as Record<string, unknown>)) {
    if ((NUMBER_KEYS as readonly string[]).includes(k)) {
      out[k as (typeof NUMBER_KEYS)[number]] = checkNumber(v, k === 'threshold', (what) => bad(`heartbeat.${k}`, what));
    } else if (k === 'ports') {
      if (typeof v !== 'string' && typeof v !== 'number') bad('heartbeat.ports', 'expected a port or a range like "39500-39999"');
      out.ports = String(v);
    } else if (k === 'byteOrder') {
      if (v !== 'le' && v !== 'be') bad('heartbeat.byteOrder', 'expected "le" or "be"');
      out.byteOrder = v as 'le' | 'be';
    } else {
      bad(`heartbeat.${k}`, `unknown key (known: ports, byteOrder, ${NUMBER_KEYS.join(', ')})`);
    }
  }
  return { heartbeat: out, cluster: clusterConfig(top.cluster ?? {}, bad) };
}

function port(v: unknown, fail: (what: string) => never): number {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 65535) return fail(`expected a port 1..65535, got ${JSON.stringify(v)}`);
  return n;
}

/** The "cluster" key: the mesh's and its neighbours' ports, and the table limits. */
function clusterConfig(raw: unknown, bad: (key: string, what: string) => never): Partial<ClusterParams> {
  if (!isObject(raw)) return bad('cluster', 'expected an object');
  const out: Partial<ClusterParams> = {};
  for (const [k, v] of Object.entries(raw)) {
    const fail = (what: string): never => bad(`cluster.${k}`, what);
    if ((CLUSTER_PORT_KEYS as readonly string[]).includes(k)) out[k as (typeof CLUSTER_PORT_KEYS)[number]] = port(v, fail);
    else if ((CLUSTER_COUNT_KEYS as readonly string[]).includes(k)) out[k as (typeof CLUSTER_COUNT_KEYS)[number]] = checkNumber(v, true, fail);
    else if (k === 'dbPorts') {
      const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(String(v));
      const lo = m ? port(m[1], fail) : fail('expected a port or a range like "1500-1501"');
      const hi = port(m![2] ?? m![1], fail);
      if (lo > hi) fail(`range ${lo}-${hi} runs backwards`);
      out.dbPorts = [lo, hi];
    } else if (k === 'sipPorts') {
      if (!Array.isArray(v) || v.length === 0) fail('expected a list of ports, e.g. [5060, 5080]');
      out.sipPorts = (v as unknown[]).map((x) => port(x, fail));
    } else bad(`cluster.${k}`, `unknown key (known: ${[...CLUSTER_PORT_KEYS, 'dbPorts', 'sipPorts', ...CLUSTER_COUNT_KEYS].join(', ')})`);
  }
  return out;
}

/** A positive number (a whole one ≥ 1 for counts); `fail` reports what was wrong. */
export function checkNumber(v: unknown, whole: boolean, fail: (what: string) => never): number {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0 || (whole && (!Number.isInteger(n) || n < 1))) {
    return fail(`expected ${whole ? 'a whole number ≥ 1' : 'a number ≥ 0'}, got ${JSON.stringify(v)}`);
  }
  return n;
}
