// Checks a scenario's expectations against what an observer saw. Events are
// tied to phases by sequence number (the plan is pure, so the run knows
// which heartbeat went out last before each phase), not by clock, so a
// remote monitor's clock offset cannot move an event into another phase.

import { StreamPlan } from '../generator/impairments.js';
import type { StreamRun } from '../generator/generate.js';
import type { FailoverEvent, HeartbeatEvent, LossEvent, RestartEvent } from '../heartbeat/events.js';
import { deadlineOffset, type DetectorParams } from '../heartbeat/params.js';
import { failoverKey, type Observation } from './observers.js';
import type { Phase, Scenario, ScenarioStream } from './scenario.js';

export interface ExpectationResult {
  /** "a-to-b phase 2 (drop 4): no failover" */
  name: string;
  held: boolean;
  detail: string;
  /** file:line:col of the expectation. */
  at: string;
  /** Declaration (or wire deadline) minus the ideal time, ms, for failovers found. */
  errorMs?: number;
}

/** What the plan says about one phase of one stream. */
export interface PhasePlan {
  phase: Phase;
  /** The last heartbeat sent before the phase; null if none was. */
  lastSentBefore: number | null;
  /** Heartbeats sent during the phase. */
  sentInPhase: Set<number>;
}

/** Replays the stream's plan (no sockets) to find each phase's heartbeats, and the stream's last one. */
export function planPhases(s: ScenarioStream): { phases: PhasePlan[]; finalSeq: number | null } {
  const plan = new StreamPlan(s.intervalMs, s.startSeq, s.impairments, s.count);
  const out: PhasePlan[] = s.phases.map((phase) => ({ phase, lastSentBefore: null, sentInPhase: new Set<number>() }));
  const started = out.map(() => false);
  let lastSent: number | null = null;
  for (let slot = plan.next(); slot; slot = plan.next()) {
    for (const [j, p] of out.entries()) {
      if (!started[j] && slot.atMs >= p.phase.startMs) {
        started[j] = true;
        p.lastSentBefore = lastSent;
      }
    }
    if (slot.sendAtMs.length === 0) continue;
    out.find((p) => slot.atMs >= p.phase.startMs && slot.atMs < p.phase.endMs)?.sentInPhase.add(slot.seq);
    lastSent = slot.seq;
  }
  return { phases: out, finalSeq: lastSent };
}

/** "src:sport>dst:dport" → [sport, dport]. */
function portsOf(key: string): [number, number] {
  const [src, dst] = key.split('>');
  return [Number(src.slice(src.lastIndexOf(':') + 1)), Number(dst.slice(dst.lastIndexOf(':') + 1))];
}

export interface StreamOutcome {
  stream: ScenarioStream;
  run: StreamRun;
  phases: PhasePlan[];
  /** The stream's last heartbeat: the silence after it is the end of the run, not a fault. */
  finalSeq: number | null;
  /** Send times (epoch s) of the heartbeats the checks need. */
  sentAt: Map<number, number>;
}

export function checkExpectations(sc: Scenario, params: DetectorParams, outcomes: StreamOutcome[], obs: Observation): ExpectationResult[] {
  const results: ExpectationResult[] = [];
  // Events by "sport>dport", read once: a run may have thousands of streams.
  const byPorts = new Map<string, HeartbeatEvent[]>();
  for (const e of obs.events) {
    if (!('stream' in e) || !e.stream) continue;
    const key = portsOf(e.stream).join('>');
    const list = byPorts.get(key);
    if (list) list.push(e);
    else byPorts.set(key, [e]);
  }
  const eventsOf = (o: StreamOutcome): HeartbeatEvent[] => byPorts.get(`${o.run.local.port}>${o.run.spec.port}`) ?? [];
  // Judged on the packets' clock: the failover's deadline (last heard, by kernel time, + threshold
  // deadlines) against the last heartbeat's send time. When it was declared depends on how busy the
  // host was, and is shown, not judged.
  const idealOffset = deadlineOffset(params.threshold, params);
  const allFailovers: FailoverEvent[] = [];
  const allRestarts: RestartEvent[] = [];
  let endOfRun = 0;
  for (const o of outcomes) {
    const events = eventsOf(o);
    const failovers = events.filter((e): e is FailoverEvent => e.type === 'failover');
    const restarts = events.filter((e): e is RestartEvent => e.type === 'restart');
    const expected = new Set(o.phases.filter((p) => p.phase.expect.some((x) => x.kind === 'failover')).map((p) => p.lastSentBefore));
    const atEnd = (e: FailoverEvent): boolean => e.lastSeq === o.finalSeq && !expected.has(e.lastSeq);
    endOfRun += failovers.filter(atEnd).length;
    allFailovers.push(...failovers.filter((e) => !atEnd(e)));
    allRestarts.push(...restarts);
    for (const p of o.phases) {
      const caused = failovers.filter((e) => e.lastSeq === p.lastSentBefore || p.sentInPhase.has(e.lastSeq));
      for (const x of p.phase.expect) {
        const name = `${o.stream.name} phase ${p.phase.index} (${p.phase.label}): ${x.kind === 'failover' ? `failover within ${x.withinMs} ms` : x.kind}`;
        const at = p.phase.at;
        if (x.kind === 'no-failover') {
          const longest = events.filter((e): e is LossEvent => e.type === 'loss' && (e.afterSeq === p.lastSentBefore || p.sentInPhase.has(e.afterSeq)))
            .reduce((m, e) => Math.max(m, e.misses), 0);
          results.push({ name, at, held: caused.length === 0, detail: caused.length ? `${caused.length} failover(s), the first after seq ${caused[0].lastSeq}` : `no failover (longest run ${longest} missed)` });
        } else if (x.kind === 'restart') {
          const seen = restarts.find((e) => e.fromSeq === p.lastSentBefore);
          results.push({ name, at, held: seen !== undefined, detail: seen ? `restart seen: seq ${seen.fromSeq} → ${seen.toSeq}` : `no restart seen after seq ${p.lastSentBefore}` });
        } else {
          results.push(failoverResult(name, at, x.withinMs, p, caused, o, obs, idealOffset));
        }
      }
    }
  }
  const counts = {
    failovers: allFailovers.length,
    restarts: allRestarts.length,
    resets: allFailovers.filter((e) => obs.resetFailovers.has(failoverKey(e))).length,
  };
  for (const x of sc.expect) {
    const got = counts[x.kind];
    const ends = x.kind !== 'restarts' && endOfRun ? ` (and ${endOfRun} at the streams' end, not counted)` : '';
    results.push({ name: `${x.kind}: ${x.count}`, at: x.at, held: got === x.count, detail: `${got} ${{ failovers: 'failover(s)', restarts: 'restart(s)', resets: 'failover(s) followed by a TCP reset' }[x.kind]}${ends}` });
  }
  return results;
}

function failoverResult(name: string, at: string, withinMs: number, p: PhasePlan, caused: FailoverEvent[], o: StreamOutcome, obs: Observation, idealOffset: number): ExpectationResult {
  const fail = (detail: string): ExpectationResult => ({ name, at, held: false, detail });
  if (p.lastSentBefore === null) return fail('no heartbeat went out before this phase: nothing to fail over from');
  const e = caused.find((x) => x.lastSeq === p.lastSentBefore);
  if (!e) return fail(caused.length ? `failover after seq ${caused[0].lastSeq}, expected after seq ${p.lastSentBefore}` : `no failover (expected after seq ${p.lastSentBefore})`);
  if (caused.length > 1) return fail(`${caused.length} failovers in this phase, expected one`);
  const sent = o.sentAt.get(e.lastSeq);
  if (sent === undefined) return fail(`seq ${e.lastSeq} has no send time: it was not sent by this run`);
  const declared = obs.declaredAt?.get(failoverKey(e));
  if (obs.declaredAt && declared === undefined) return fail(`failover after seq ${e.lastSeq} found only in the final report`);
  const errorMs = Math.round((e.time - (sent + idealOffset)) * 1e6) / 1000;
  const lateness = declared === undefined ? '' : `; declared ${((declared - e.time) * 1000).toFixed(1)} ms after it`;
  return { name, at, held: Math.abs(errorMs) <= withinMs, errorMs, detail: `failover after seq ${e.lastSeq}, deadline ${errorMs.toFixed(3)} ms from the ideal time${lateness}` };
}
