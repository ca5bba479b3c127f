// The analyzers' findings as one-line live events, for the events pane and
// the text/JSON lines printed when there is no terminal.

import type { HeartbeatEvent, MonitorStalledEvent } from '../heartbeat/events.js';
import type { FeedLine } from '../monitor/event-feed.js';
import type { DetectorParams } from '../heartbeat/params.js';
import { observedByPackets, type FlowAudit } from '../dscp/audit.js';
import type { KeepalivePair } from '../sip/keepalives.js';
import type { Transaction } from '../sip/transactions.js';
import { phbName } from '../../dissectors/dscp.js';
import { clockMs } from '../common/time-format.js';
import type { LiveEvent } from './view-model.js';
import type { MeshEvent } from '../cluster/mesh.js';

export function heartbeatLiveEvent(e: HeartbeatEvent, p: DetectorParams): LiveEvent {
  switch (e.type) {
    case 'failover':
      return {
        time: e.time, kind: 'failover', severity: 'alarm', subject: e.stream,
        text: `${e.noticedBy} missed ${p.threshold} heartbeats in a row from ${e.peer} (last seq ${e.lastSeq} at ${clockMs(e.lastHeard)})`,
      };
    case 'recovery':
      return { time: e.time, kind: 'recovery', severity: 'info', subject: e.stream, text: `heartbeats back with seq ${e.seq}, ${e.downMs.toFixed(1)} ms after the failover` };
    case 'restart':
      return {
        time: e.time, kind: 'restart', severity: 'warn', subject: e.stream,
        text: `sequence ${e.fromSeq} -> ${e.toSeq}: ${e.nearZero ? 'the sender restarted' : 'the counter jumped'}`,
      };
    case 'loss':
      return {
        time: e.time, kind: 'loss', severity: e.misses >= p.threshold - 1 ? 'warn' : 'info', subject: e.stream,
        text: e.nextSeq === null
          ? `silent after seq ${e.afterSeq}`
          : `${e.lost} lost after seq ${e.afterSeq}, ${e.misses} missed in a row (threshold ${p.threshold})`,
      };
    case 'reset':
    case 'unexplained-reset':
      return resetLiveEvent(e.time, `${e.src}:${e.sport}>${e.dst}:${e.dport}`, e.delayMs);
    case 'monitor-stalled':
      return { time: e.time, kind: 'monitor-stalled', severity: 'warn', subject: e.stream, text: stalledText(e) };
  }
}


/** A TCP reset between heartbeat peers: `delayMs` after their failover, or null when none came before it. */
export function resetLiveEvent(time: number, flow: string, delayMs: number | null): LiveEvent {
  return delayMs === null
    ? { time, kind: 'unexplained-reset', severity: 'warn', subject: flow, text: 'TCP reset between heartbeat peers with no failover before it' }
    : { time, kind: 'reset', severity: 'warn', subject: flow, text: `TCP reset ${delayMs.toFixed(3)} ms after the failover` };
}

export function dscpLiveEvent(f: FlowAudit, time: number): LiveEvent {
  const observed = observedByPackets(f).map(([d]) => phbName(d)).join('/');
  return {
    time, kind: 'dscp-violation', severity: 'warn', subject: `${f.transport} ${f.flow}`,
    text: `${f.class}${f.app && f.app !== f.class ? ` (${f.app})` : ''} marked ${observed}, policy expects ${f.expected.map(phbName).join('/')}`,
  };
}

export function keepaliveLiveEvent(k: KeepalivePair, time: number): LiveEvent {
  return {
    time, kind: 'keepalive-failing', severity: 'alarm', subject: `${k.requester}>${k.responder}`,
    text: `OPTIONS keepalive failing: ${k.answered} of ${k.requests} answered, ${k.failed} failed, ${k.timeouts} timed out`,
  };
}

export function sipTimeoutLiveEvent(tx: Transaction, time: number, timeoutMs: number): LiveEvent {
  return {
    time, kind: 'sip-timeout', severity: 'warn', subject: tx.callId,
    text: `${tx.method} ${tx.client} > ${tx.server}: no final response within ${timeoutMs / 1000} s`,
  };
}

/** A line of a monitor's event feed (`monitor --events-listen`), marked as the monitor's; `now` times a reset line, which carries no time. */
export function monitorLiveEvent(line: FeedLine, where: string, p: DetectorParams, now: number): LiveEvent | null {
  if ('event' in line) {
    const e = heartbeatLiveEvent(line.event, p);
    return { ...e, text: `monitor ${where}: ${e.text}` };
  }
  if ('reset' in line) {
    return {
      time: now, kind: 'reset', severity: 'warn', subject: line.reset.stream,
      text: `monitor ${where}: reset ${line.reset.connections} TCP connection(s) after the failover (last seq ${line.reset.lastSeq})`,
    };
  }
  return null;
}

/** Why no verdict: the receiver itself could not see arrivals over the silence. */
export function stalledText(e: MonitorStalledEvent): string {
  const span = `${clockMs(e.blindFrom)} to ${clockMs(e.blindTo)} (${Math.round((e.blindTo - e.blindFrom) * 1000)} ms)`;
  const why = e.drops > 0
    ? `the receiver itself dropped ${e.drops} datagram(s) from ${span}, its queue full`
    : `the receiver was stalled from ${span} and cannot tell when its queued datagrams came`;
  return `silent past the failover deadline after seq ${e.lastSeq}, but ${why}: no verdict`;
}

/** A call-processing mesh link going down or coming back (src/cluster/mesh.ts). */
export function meshLiveEvent(e: MeshEvent): LiveEvent {
  const down = e.type === 'mesh-link-down';
  return { time: e.time, kind: e.type, severity: down ? 'alarm' : 'info', subject: `${e.a} <> ${e.b}`, text: `mesh link ${down ? 'down' : 'up'}: ${e.detail}` };
}
