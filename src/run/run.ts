// `ucprobe run`: one scenario end to end. Start the observer, send every
// stream with its phases, keep watching until a failover could still be
// declared, then check each expectation.

import { generate, type GenerateSummary, type StreamSpec } from '../generator/generate.js';
import { SentWriter } from '../generator/sent-writer.js';
import { detectorParams } from '../heartbeat/params.js';
import { checkExpectations, planPhases, type ExpectationResult, type StreamOutcome } from './expectations.js';
import { inProcessMonitor, remoteMonitor, wireCapture, type Observation, type Observer } from './observers.js';
import type { Scenario, ScenarioStream } from './scenario.js';

export interface RunOptions {
  /** Check against a `ucprobe monitor --events-listen` at this address instead of one in this process. */
  remote?: { host: string; port: number };
  /** Check against the wire: a live capture on this interface. */
  verifyCapture?: string;
  /** Also write what was sent (pcapng), as `generate --write` does. */
  write?: string;
  /** Stop early (Ctrl-C): the expectations are still checked on what ran. */
  stop?: Promise<void>;
}

export interface RunResult {
  scenario: Scenario;
  observation: Observation;
  generator: GenerateSummary;
  results: ExpectationResult[];
  passed: boolean;
  stoppedEarly: boolean;
}

/** A BPF filter for the run's traffic: its heartbeats and the monitor's TCP resets. */
function runFilter(specs: StreamSpec[]): string {
  const ports = [...new Set(specs.map((s) => s.port))];
  return [...ports.map((p) => `udp port ${p}`), 'tcp[tcpflags] & tcp-rst != 0'].join(' or ');
}

/**
 * A scenario's stream as the generator takes it; `target` is where streams without a `to` go.
 * Stream i of n starts i/n of an interval late: real senders' timers are not in step, and
 * a thousand datagrams due at the same instant would measure the queue, not the schedule.
 */
export function streamSpec(s: ScenarioStream, target: { host: string; port: number }, i = 0, n = 1): StreamSpec {
  return {
    phaseMs: (i * s.intervalMs) / n,
    name: s.name,
    host: s.to?.host ?? target.host,
    port: s.to?.port ?? target.port,
    bind: s.from?.bind,
    sourcePort: s.from?.port,
    intervalMs: s.intervalMs, startSeq: s.startSeq, byteOrder: s.byteOrder, count: s.count, dscp: s.dscp,
    impairments: s.impairments,
  };
}

export async function runScenario(sc: Scenario, opts: RunOptions = {}): Promise<RunResult> {
  const params = detectorParams(sc.params);
  const receiver: Observer = opts.remote ? await remoteMonitor(opts.remote, sc.monitor.tcpReset) : await inProcessMonitor(sc.monitor, sc.params);
  const specs = sc.streams.map((s, i, all) => streamSpec(s, receiver.target, i, all.length));
  const observer = opts.verifyCapture ? await wireCapture(opts.verifyCapture, runFilter(specs), sc.params, receiver) : receiver;
  const phases = sc.streams.map(planPhases);
  // Only the send times the checks need: the last heartbeat before each phase.
  const wanted = phases.map((plan) => new Set(plan.phases.map((p) => p.lastSentBefore).filter((x): x is number => x !== null)));
  const sentAt = sc.streams.map(() => new Map<number, number>());
  const indexOf = new Map(specs.map((s, i) => [s, i]));
  const writer = opts.write ? new SentWriter(opts.write) : null;
  let stoppedEarly = false;
  const stop = opts.stop?.then(() => { stoppedEarly = true; });
  let generator: GenerateSummary;
  try {
    generator = await generate(specs, {
      stop,
      onSend: (d) => {
        writer?.add(d);
        const i = indexOf.get(d.stream.spec)!;
        if (wanted[i].has(d.seq)) sentAt[i].set(d.seq, d.time);
      },
    });
  } catch (e) {
    await observer.finish();
    throw e;
  }
  writer?.close(generator);
  // Watch on: the last phase's failover is declared up to threshold intervals after the last heartbeat.
  if (!stoppedEarly) await Promise.race([new Promise((r) => setTimeout(r, sc.settleMs)), stop]);
  const observation = await observer.finish();
  const outcomes: StreamOutcome[] = sc.streams.map((stream, i) => ({ stream, run: generator.streams[i], phases: phases[i].phases, finalSeq: phases[i].finalSeq, sentAt: sentAt[i] }));
  const results = checkExpectations(sc, params, outcomes, observation);
  return { scenario: sc, observation, generator, results, passed: !stoppedEarly && results.every((r) => r.held), stoppedEarly };
}
