// Reads and checks a scenario file (YAML or JSON). The schema is this code:
// every key is known, every value goes through the same parsers as the
// command-line flags, and every problem is one line naming file:line:col.
//
//   name: four-vs-five
//   heartbeat: { intervalMs: 100, threshold: 5 }
//   monitor: { tcpReset: true }
//   streams:
//     - name: a-to-b
//       byteOrder: le
//       dscp: CS3
//       phases:
//         - steady: 2s
//         - drop: 4
//           expect: no-failover
//         - steady: 2s
//         - drop: 5
//           expect: { failover: { withinMs: 20 } }
//         - steady: 2s
//   expect:
//     - failovers: 1
//
// A stream without phases runs for `count` heartbeats or a `duration`, with
// the impairment keys of `ucprobe generate` (drop, bursts, loss, gemodel,
// delay, jitter, duplicate, reorder, pauses, restarts, seed); that form is
// also what `generate --streams FILE` reads.

import { YamlFile, type KeyPath } from '../config/yaml-file.js';
import { burst, durationMs, dscp, gemodel, hostPort, localEndpoint, pause, probability, restartAt, seqRanges, wholeNumber } from './parse.js';
import { checkNumber } from './config.js';
import { DEFAULT_DETECTOR_PARAMS, deadlineOffset, detectorParams, type DetectorParams } from '../heartbeat/params.js';
import type { Impairments } from '../generator/impairments.js';
import type { MonitorSetup, Phase, PhaseExpectation, PhaseKind, RunExpectation, Scenario, ScenarioStream } from '../run/scenario.js';

const TOP_KEYS = ['name', 'description', 'heartbeat', 'monitor', 'streams', 'expect', 'settle'];
const HEARTBEAT_KEYS = ['intervalMs', 'timeoutMs', 'threshold', 'graceMs', 'reorderWindowMs', 'resetWindowMs'] as const;
const MONITOR_KEYS = ['bind', 'port', 'tcpReset'];
const IMPAIRMENT_KEYS = ['drop', 'bursts', 'loss', 'gemodel', 'delay', 'jitter', 'duplicate', 'reorder', 'pauses', 'restarts', 'seed'];
const STREAM_KEYS = ['name', 'to', 'from', 'interval', 'startSeq', 'byteOrder', 'dscp', 'count', 'duration', 'repeat', 'phases', ...IMPAIRMENT_KEYS];
const PHASE_KINDS: readonly PhaseKind[] = ['steady', 'drop', 'loss', 'pause', 'restart'];
const PHASE_KEYS = [...PHASE_KINDS, 'for', 'name', 'expect'];
const RUN_EXPECTATIONS = ['failovers', 'restarts', 'resets'] as const;
/** Default tolerance of a failover's declaration against its ideal time. */
export const DEFAULT_WITHIN_MS = 20;

/** Streams for `generate --streams`: a list, or a mapping with a `streams` list. `defaultTo`: streams may leave out `to`. */
export function loadStreamFile(path: string, defaultTo = false): ScenarioStream[] {
  const f = YamlFile.load(path);
  const top = Array.isArray(f.root) ? { streams: f.root } : f.object(f.root, [], ['streams', 'heartbeat']);
  const interval = top.heartbeat !== undefined ? heartbeatParams(f, top.heartbeat).intervalMs : undefined;
  return streams(f, top.streams, ['streams'], interval ?? DEFAULT_DETECTOR_PARAMS.intervalMs, defaultTo ? 'generate-default-to' : 'generate');
}

export function loadScenario(path: string): Scenario {
  const f = YamlFile.load(path);
  const top = f.object(f.root, [], TOP_KEYS);
  const params = heartbeatParams(f, top.heartbeat);
  const full = detectorParams(params);
  const list = streams(f, top.streams, ['streams'], full.intervalMs, 'scenario');
  const expect = f.list(top.expect ?? [], ['expect']).map((e, i) => runExpectation(f, e, ['expect', i]));
  if (!list.some((s) => s.phases.some((p) => p.expect.length)) && expect.length === 0) {
    f.fail(['expect'], 'the scenario expects nothing: add `expect` to a phase or a top-level `expect` list');
  }
  // Long enough after the last heartbeat for a failover to be declared and a reset to follow.
  const settleDefault = (deadlineOffset(full.threshold, full) * 1000 + full.graceMs) + 500;
  return {
    file: path,
    name: top.name !== undefined ? text(f, top.name, ['name']) : path,
    description: top.description !== undefined ? text(f, top.description, ['description']) : '',
    params,
    monitor: monitorSetup(f, top.monitor),
    streams: list,
    expect,
    settleMs: top.settle !== undefined ? durationMs(text(f, top.settle, ['settle']), f.at(['settle']), 's') : settleDefault,
  };
}

/** A scalar as the text a flag would have carried. */
function text(f: YamlFile, v: unknown, path: KeyPath): string {
  if (typeof v === 'string' || typeof v === 'number') return String(v);
  return f.fail(path, `expected a value, got ${JSON.stringify(v)}`);
}

function heartbeatParams(f: YamlFile, v: unknown): Partial<DetectorParams> {
  if (v === undefined) return {};
  const o = f.object(v, ['heartbeat'], HEARTBEAT_KEYS);
  const p: Partial<DetectorParams> = {};
  for (const k of HEARTBEAT_KEYS) {
    if (o[k] !== undefined) p[k] = checkNumber(o[k], k === 'threshold', (what) => f.fail(['heartbeat', k], what));
  }
  if (p.intervalMs === 0) f.fail(['heartbeat', 'intervalMs'], 'must be more than 0');
  return p;
}

function monitorSetup(f: YamlFile, v: unknown): MonitorSetup {
  const m: MonitorSetup = { bind: '127.0.0.1', port: 0, tcpReset: false };
  if (v === undefined) return m;
  const o = f.object(v, ['monitor'], MONITOR_KEYS);
  if (o.bind !== undefined) m.bind = text(f, o.bind, ['monitor', 'bind']);
  if (o.port !== undefined) m.port = wholeNumber(text(f, o.port, ['monitor', 'port']), f.at(['monitor', 'port']), 65535);
  if (o.tcpReset !== undefined) {
    if (typeof o.tcpReset !== 'boolean') f.fail(['monitor', 'tcpReset'], 'expected true or false');
    m.tcpReset = o.tcpReset as boolean;
  }
  return m;
}

/** 'scenario': phases required, `to` optional; 'generate': no phases, `to` required unless a default exists. */
type StreamUse = 'scenario' | 'generate' | 'generate-default-to';

function streams(f: YamlFile, v: unknown, path: KeyPath, defaultInterval: number, use: StreamUse): ScenarioStream[] {
  if (v === undefined) f.fail(path, 'missing: list the heartbeat streams to send');
  const list = f.list(v, path);
  if (list.length === 0) f.fail(path, 'expected at least one stream');
  const out: ScenarioStream[] = [];
  for (const [i, item] of list.entries()) out.push(...stream(f, item, [...path, i], defaultInterval, use));
  const names = new Set<string>();
  for (const s of out) {
    if (names.has(s.name)) f.fail(path, `two streams are named '${s.name}'`);
    names.add(s.name);
  }
  return out;
}

function stream(f: YamlFile, v: unknown, path: KeyPath, defaultInterval: number, use: StreamUse): ScenarioStream[] {
  const scenario = use === 'scenario';
  const o = f.object(v, path, STREAM_KEYS);
  const at = (k: string): string => f.at([...path, k]);
  const str = (k: string): string => text(f, o[k], [...path, k]);
  const name = o.name !== undefined ? str('name') : `stream-${Number(path[path.length - 1]) + 1}`;
  if (use === 'generate' && o.to === undefined) f.fail(path, "missing 'to': the destination host:port (or give --to for all)");
  if (!scenario && o.to === 'monitor') f.fail([...path, 'to'], "'monitor' is a scenario's own monitor: give host:port");
  if (scenario && o.phases === undefined) f.fail(path, "missing 'phases': what the stream goes through (steady, drop, loss, pause, restart)");
  if (!scenario && o.phases !== undefined) f.fail([...path, 'phases'], 'phases belong in a scenario for `ucprobe run`');
  const intervalMs = o.interval !== undefined ? durationMs(str('interval'), at('interval')) : defaultInterval;
  if (intervalMs <= 0) f.fail([...path, 'interval'], 'must be more than 0');
  let byteOrder: 'le' | 'be' = 'le';
  if (o.byteOrder !== undefined) {
    if (o.byteOrder !== 'le' && o.byteOrder !== 'be') f.fail([...path, 'byteOrder'], "expected 'le' or 'be'");
    byteOrder = o.byteOrder as 'le' | 'be';
  }
  const imp = impairments(f, o, path);
  let phases: Phase[] = [];
  let count: number;
  if (o.phases !== undefined) {
    if (o.count !== undefined || o.duration !== undefined) f.fail([...path, o.count !== undefined ? 'count' : 'duration'], 'the phases set how long the stream runs');
    const planned = plannedPhases(f, o.phases, [...path, 'phases'], intervalMs, imp);
    phases = planned.phases;
    count = Math.ceil(planned.totalMs / intervalMs);
  } else {
    if (o.count !== undefined && o.duration !== undefined) f.fail([...path, 'duration'], "give 'count' or 'duration', not both");
    count = o.count !== undefined ? wholeNumber(str('count'), at('count'))
      : o.duration !== undefined ? Math.floor(durationMs(str('duration'), at('duration'), 's') / intervalMs)
      : f.fail(path, "missing 'count' or 'duration': how long the stream runs");
  }
  const base: ScenarioStream = {
    name,
    to: o.to === undefined || o.to === 'monitor' ? null : hostPort(str('to'), at('to')),
    from: o.from !== undefined ? localEndpoint(str('from'), at('from')) : undefined,
    intervalMs,
    startSeq: o.startSeq !== undefined ? wholeNumber(str('startSeq'), at('startSeq'), 0xffffffff) : 0,
    byteOrder,
    dscp: o.dscp !== undefined ? dscp(str('dscp'), at('dscp')) : undefined,
    impairments: imp,
    count,
    phases,
  };
  const repeat = o.repeat !== undefined ? wholeNumber(str('repeat'), at('repeat'), 100_000) : 1;
  if (repeat === 0) f.fail([...path, 'repeat'], 'expected at least 1');
  if (repeat === 1) return [base];
  // Copies differ by source port (when one is set) and by seed, so random models do not move in lockstep.
  return Array.from({ length: repeat }, (_, i) => ({
    ...base,
    name: `${name}#${i + 1}`,
    from: base.from && base.from.port > 0 ? { ...base.from, port: base.from.port + i } : base.from,
    impairments: { ...imp, seed: (imp.seed ?? 1) + i },
  }));
}

function impairments(f: YamlFile, o: Record<string, unknown>, path: KeyPath): Impairments {
  const at = (k: string): string => f.at([...path, k]);
  const str = (k: string): string => text(f, o[k], [...path, k]);
  const strs = (k: string): Array<[string, string]> => f.list(o[k], [...path, k]).map((x, i) => [text(f, x, [...path, k, i]), f.at([...path, k, i])]);
  const imp: Impairments = { seed: o.seed !== undefined ? wholeNumber(str('seed'), at('seed'), 0xffffffff) : 1 };
  if (o.drop !== undefined) imp.drop = seqRanges(str('drop'), at('drop'));
  if (o.bursts !== undefined) imp.bursts = strs('bursts').map(([t, where]) => burst(t, where));
  if (o.loss !== undefined) imp.loss = probability(str('loss'), at('loss'));
  if (o.gemodel !== undefined) imp.gemodel = gemodel(str('gemodel'), at('gemodel'));
  if (o.delay !== undefined) imp.delayMs = durationMs(str('delay'), at('delay'));
  if (o.jitter !== undefined) imp.jitterMs = durationMs(str('jitter'), at('jitter'));
  if (o.duplicate !== undefined) imp.duplicate = probability(str('duplicate'), at('duplicate'));
  if (o.reorder !== undefined) imp.reorder = probability(str('reorder'), at('reorder'));
  if (o.pauses !== undefined) imp.pauses = strs('pauses').map(([t, where]) => pause(t, where));
  if (o.restarts !== undefined) imp.restarts = strs('restarts').map(([t, where]) => restartAt(t, where));
  return imp;
}

/** Lays the phases end to end on the stream's clock and turns each into impairments. */
function plannedPhases(f: YamlFile, v: unknown, path: KeyPath, intervalMs: number, imp: Impairments): { phases: Phase[]; totalMs: number } {
  const list = f.list(v, path);
  if (list.length === 0) f.fail(path, 'expected at least one phase');
  const phases: Phase[] = [];
  let t = 0;
  for (const [i, item] of list.entries()) {
    const p = [...path, i];
    // "- restart" alone is a phase too.
    const o = typeof item === 'string' ? f.object({ [item]: true }, p, PHASE_KEYS) : f.object(item, p, PHASE_KEYS);
    const kinds = PHASE_KINDS.filter((k) => o[k] !== undefined);
    if (kinds.length !== 1) f.fail(p, `expected one of ${PHASE_KINDS.join(', ')} per phase, got ${kinds.length ? kinds.join(' and ') : 'none'}`);
    const kind = kinds[0];
    const value = o[kind];
    const at = f.at([...p, kind]);
    const str = (): string => text(f, value, [...p, kind]);
    let lengthMs = 0;
    let label: string;
    if (o.for !== undefined && kind !== 'loss') f.fail([...p, 'for'], `'for' belongs to a loss phase`);
    switch (kind) {
      case 'steady':
      case 'pause':
        lengthMs = durationMs(str(), at, 's');
        label = `${kind} ${str()}`;
        if (kind === 'pause') (imp.pauses ??= []).push({ atMs: t, forMs: lengthMs });
        break;
      case 'drop': {
        const n = wholeNumber(str(), at);
        if (n === 0) f.fail([...p, kind], 'expected at least 1');
        (imp.bursts ??= []).push({ count: n, atMs: t });
        lengthMs = n * intervalMs;
        label = `drop ${n}`;
        break;
      }
      case 'loss': {
        const prob = probability(str(), at);
        if (o.for === undefined) f.fail(p, "a loss phase needs 'for': how long, e.g. for: 30s");
        lengthMs = durationMs(text(f, o.for, [...p, 'for']), f.at([...p, 'for']), 's');
        (imp.lossWindows ??= []).push({ atMs: t, forMs: lengthMs, p: prob });
        label = `loss ${str()} for ${text(f, o.for, [...p, 'for'])}`;
        break;
      }
      case 'restart':
        (imp.restarts ??= []).push({ atMs: t });
        label = 'restart';
        break;
    }
    if (o.name !== undefined) label = text(f, o.name, [...p, 'name']);
    const expect = o.expect === undefined ? [] : (Array.isArray(o.expect) ? o.expect : [o.expect]).map((e, k) => phaseExpectation(f, e, Array.isArray(o.expect) ? [...p, 'expect', k] : [...p, 'expect']));
    // Phases start on a heartbeat slot, so "drop 5 after 2s" drops the 21st heartbeat on.
    const startMs = t;
    t += lengthMs;
    t = Math.ceil(t / intervalMs - 1e-9) * intervalMs;
    phases.push({ index: i + 1, kind, label, startMs, endMs: t, expect, at: f.at(p) });
  }
  return { phases, totalMs: t };
}

function phaseExpectation(f: YamlFile, v: unknown, path: KeyPath): PhaseExpectation {
  if (v === 'failover') return { kind: 'failover', withinMs: DEFAULT_WITHIN_MS };
  if (v === 'no-failover') return { kind: 'no-failover' };
  if (v === 'restart') return { kind: 'restart' };
  if (typeof v === 'object' && v !== null && !Array.isArray(v) && 'failover' in v) {
    const o = f.object((v as { failover: unknown }).failover ?? {}, [...path, 'failover'], ['withinMs']);
    return { kind: 'failover', withinMs: o.withinMs !== undefined ? checkNumber(o.withinMs, false, (what) => f.fail([...path, 'failover', 'withinMs'], what)) : DEFAULT_WITHIN_MS };
  }
  return f.fail(path, `expected failover, no-failover, restart or { failover: { withinMs: N } }, got ${JSON.stringify(v)}`);
}

function runExpectation(f: YamlFile, v: unknown, path: KeyPath): RunExpectation {
  const o = f.object(v, path, RUN_EXPECTATIONS);
  const keys = Object.keys(o) as Array<(typeof RUN_EXPECTATIONS)[number]>;
  if (keys.length !== 1) f.fail(path, `expected one of ${RUN_EXPECTATIONS.join(', ')} with a count, e.g. failovers: 1`);
  const kind = keys[0];
  return { kind, count: wholeNumber(text(f, o[kind], [...path, kind]), f.at([...path, kind])), at: f.at(path) };
}
