// Who tells a scenario run what the receiver saw: a monitor in this process,
// a monitor on another host (its JSON event feed), or the wire itself (a
// live capture through the pipeline). Each gives the same Observation.

import { connect, type Socket } from 'node:net';
import { Monitor } from '../monitor/monitor.js';
import { connectEventFeed } from '../monitor/feed-client.js';
import { Pipeline } from '../pipeline/pipeline.js';
import { HeartbeatAnalyzer } from '../heartbeat/analyzer.js';
import type { StreamReport } from '../heartbeat/detector.js';
import type { FailoverEvent, HeartbeatEvent } from '../heartbeat/events.js';
import type { DetectorParams } from '../heartbeat/params.js';
import { startLiveCapture, type LiveCapture } from '../sources/live-capture.js';
import type { MonitorSetup } from './scenario.js';

export interface Observation {
  /** "in-process monitor on 127.0.0.1:40000", "remote monitor 10.0.0.2:9999", "capture on lo". */
  source: string;
  events: HeartbeatEvent[];
  /** When each failover was declared ("stream|lastSeq" → epoch s); null when the observer is not a live detector. */
  declaredAt: Map<string, number> | null;
  /** Failovers ("stream|lastSeq") followed by a TCP reset. */
  resetFailovers: Set<string>;
  streams: StreamReport[];
  notes: string[];
}

export interface Observer {
  /** Where streams without a `to` are sent. */
  readonly target: { host: string; port: number };
  finish(): Promise<Observation>;
}

export class RunError extends Error {}

export const failoverKey = (e: { stream: string; lastSeq: number }): string => `${e.stream}|${e.lastSeq}`;

const RECONNECT_MS = 20;

/** The router peer a monitor resets: a TCP connection that comes back after each reset, for the next failover. */
async function holdTcpPeer(host: string, port: number): Promise<{ stop(): void; resets(): number }> {
  let socket: Socket | null = null;
  let done = false;
  let resets = 0;
  const hold = (): void => {
    if (done) return;
    const s = connect(port, host);
    socket = s;
    s.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ECONNRESET') resets++;
    });
    s.on('close', () => setTimeout(hold, RECONNECT_MS).unref());
  };
  hold();
  await new Promise((resolve, reject) => {
    socket!.once('connect', resolve);
    socket!.once('error', (e: NodeJS.ErrnoException) => reject(new RunError(`cannot connect to the monitor's TCP port ${host}:${port}: ${e.code ?? e.message}`)));
  });
  return {
    stop() {
      done = true;
      (socket as Socket | null)?.destroy();
    },
    resets: () => resets,
  };
}

/** A monitor in this process, optionally holding a TCP connection for it to reset. */
export async function inProcessMonitor(setup: MonitorSetup, params: Partial<DetectorParams>): Promise<Observer> {
  const declaredAt = new Map<string, number>();
  const resetFailovers = new Set<string>();
  const monitor = new Monitor({
    port: setup.port,
    bind: setup.bind,
    params,
    tcpListen: setup.tcpReset ? 0 : undefined,
    onEvent: (e, at) => {
      if (e.type === 'failover') declaredAt.set(failoverKey(e), at);
    },
    onReset: (e, n) => {
      if (n > 0) resetFailovers.add(failoverKey(e));
    },
  });
  await monitor.start().catch((e: Error) => {
    throw new RunError(`monitor: ${e.message}`);
  });
  // The address to reach it at: loopback when it listens on all addresses.
  const host = setup.bind === '0.0.0.0' ? '127.0.0.1' : setup.bind === '::' ? '::1' : setup.bind;
  const peer = setup.tcpReset && monitor.tcpPort !== null ? await holdTcpPeer(host, monitor.tcpPort) : null;
  return {
    target: { host, port: monitor.port },
    async finish() {
      peer?.stop();
      const report = monitor.stop();
      return {
        source: `in-process monitor on ${host}:${monitor.port}`,
        events: report.events, declaredAt, resetFailovers, streams: report.streams,
        notes: peer ? [`the run's TCP peer was reset ${peer.resets()} time(s)`] : [],
      };
    },
  };
}

/** A `ucprobe monitor --events-listen` elsewhere: events as it declares them, on its clock. */
export async function remoteMonitor(at: { host: string; port: number }, tcpReset: boolean): Promise<Observer> {
  const events: HeartbeatEvent[] = [];
  const declaredAt = new Map<string, number>();
  const resetFailovers = new Set<string>();
  const where = `${at.host}:${at.port}`;
  const feed = await connectEventFeed(at, (line) => {
    if ('event' in line) {
      events.push(line.event);
      if (line.event.type === 'failover') declaredAt.set(failoverKey(line.event), line.declaredAt);
    } else if ('reset' in line && line.reset.connections > 0) resetFailovers.add(failoverKey(line.reset));
  }, (code) => new RunError(code === null
    ? `remote monitor ${where}: no hello within 5 s (is it \`ucprobe monitor --events-listen ${at.port}\`?)`
    : `cannot reach the remote monitor at ${where}: ${code} (start it with \`ucprobe monitor --port P --events-listen ${at.port}\`)`));
  const hello = feed.hello;
  if (tcpReset && hello.tcpPort === null) throw new RunError(`remote monitor ${where} resets no TCP connection: start it with --tcp-listen PORT, or set monitor.tcpReset: false`);
  const peer = tcpReset && hello.tcpPort !== null ? await holdTcpPeer(at.host, hello.tcpPort) : null;
  return {
    target: { host: at.host, port: hello.udpPort },
    async finish() {
      peer?.stop();
      feed.close();
      const notes = ['timing checked against the remote clock: keep the two hosts in NTP sync'];
      if (peer) notes.push(`the run's TCP peer was reset ${peer.resets()} time(s)`);
      return {
        source: `remote monitor ${where}`, events, declaredAt, resetFailovers, streams: [],
        notes,
      };
    },
  };
}

/** The wire: a live capture on `iface` through the same pipeline and detector as files. */
export async function wireCapture(iface: string, filter: string, params: Partial<DetectorParams>, receiver: Observer): Promise<Observer> {
  const analyzer = new HeartbeatAnalyzer(params);
  const pipeline = new Pipeline([analyzer.add]);
  let live: LiveCapture;
  try {
    live = await startLiveCapture({ iface, filter }, pipeline.frame);
  } catch (e) {
    await receiver.finish();
    throw new RunError(`--verify-capture: ${(e as Error).message}`);
  }
  return {
    target: receiver.target,
    async finish() {
      const counters = await live.stop();
      await receiver.finish();
      const report = analyzer.report(live.facts.lastTs);
      const failovers = report.events.filter((e): e is FailoverEvent => e.type === 'failover');
      const notes = [`${live.facts.packets} packets captured on ${iface}`];
      if (counters) notes.push(`kernel drops ${counters.droppedByKernel}`);
      return {
        source: `capture on ${iface}`, events: report.events, declaredAt: null,
        resetFailovers: new Set(failovers.filter((e) => e.reset).map(failoverKey)), streams: report.streams, notes,
      };
    },
  };
}
