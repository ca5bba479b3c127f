// What a scenario file declares, once checked: heartbeat streams with their
// phases (steady, drop k, random loss for a while, pause, restart), what
// each phase must cause, and counts over the whole run.

import type { ByteOrder } from '../../dissectors/types.js';
import type { DetectorParams } from '../heartbeat/params.js';
import type { Impairments } from '../generator/impairments.js';

/** What one phase must (or must not) cause on its stream. */
export type PhaseExpectation =
  /** Exactly one failover, whose last heartbeat is the one sent just before the phase, declared within `withinMs` of the ideal time. */
  | { kind: 'failover'; withinMs: number }
  /** No failover caused by this phase. */
  | { kind: 'no-failover' }
  /** The receiver sees the sender restart. */
  | { kind: 'restart' };

export type PhaseKind = 'steady' | 'drop' | 'loss' | 'pause' | 'restart';

export interface Phase {
  /** 1-based, as the user counts them in the file. */
  index: number;
  kind: PhaseKind;
  /** "drop 5", "steady 2s", or the phase's own name. */
  label: string;
  /** From the stream's start, ms. */
  startMs: number;
  endMs: number;
  expect: PhaseExpectation[];
  /** Where in the file, for the report. */
  at: string;
}

export interface ScenarioStream {
  name: string;
  /** Destination; null sends to the monitor the run checks against. */
  to: { host: string; port: number } | null;
  from?: { bind?: string; port: number };
  intervalMs: number;
  startSeq: number;
  byteOrder: ByteOrder;
  dscp?: number;
  impairments: Impairments;
  /** Heartbeat slots (sent or withheld). */
  count: number;
  phases: Phase[];
}

/** Counts over the whole run. `resets`: failovers followed by a TCP reset. */
export interface RunExpectation {
  kind: 'failovers' | 'restarts' | 'resets';
  count: number;
  at: string;
}

export interface MonitorSetup {
  bind: string;
  port: number;
  /** The monitor holds a TCP connection from the run and resets it at a failover. */
  tcpReset: boolean;
}

export interface Scenario {
  file: string;
  name: string;
  description: string;
  params: Partial<DetectorParams>;
  monitor: MonitorSetup;
  streams: ScenarioStream[];
  expect: RunExpectation[];
  /** How long to keep watching after the last heartbeat went out, ms. */
  settleMs: number;
}
