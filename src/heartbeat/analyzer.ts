// The heartbeat analysis as a pipeline consumer: heartbeats feed the
// detector with packet timestamps as its clock, TCP resets are kept to be
// tied to failovers once the whole capture is seen.

import type { PacketRecord } from '../../dissectors/types.js';
import { TCP_RST } from '../../dissectors/types.js';
import { HeartbeatDetector, type DetectorOptions, type EventListener, type StreamReport } from './detector.js';
import { compareEvents, type FailoverEvent, type HeartbeatEvent } from './events.js';
import { pairStreams, type PairReport } from './pairs.js';
import { linkResets, type TcpReset } from './resets.js';
import { flowKey, pairKeyOf } from '../pipeline/flow-key.js';
import type { DetectorParams } from './params.js';
import { BATCH_HEARTBEAT, batchByteOrder, type BatchConsumer, type UdpBatch } from '../pipeline/udp-batch.js';

/** TCP resets kept for linking; a capture with more has bigger problems than heartbeats. */
const MAX_RESETS = 100_000;

export interface HeartbeatTotals {
  streams: number;
  lost: number;
  failovers: number;
  failoversWithoutReset: number;
  resets: number;
  unexplainedResets: number;
  restarts: number;
  /** Events past the report's cap, counted only. */
  droppedEvents: number;
  /** Streams past the tracking cap, ignored (distinct streams, counted up to 100,000), and their heartbeats. */
  untrackedStreams: number;
  untrackedHeartbeats: number;
}

export interface HeartbeatReport {
  params: DetectorParams;
  totals: HeartbeatTotals;
  streams: StreamReport[];
  pairs: PairReport[];
  events: HeartbeatEvent[];
}

export class HeartbeatAnalyzer implements BatchConsumer {
  readonly detector: HeartbeatDetector;
  private readonly resets: TcpReset[] = [];
  private droppedResets = 0;

  constructor(params: Partial<DetectorParams> = {}, listener?: EventListener, options: DetectorOptions = {}) {
    this.detector = new HeartbeatDetector(params, listener, options);
  }

  /** A reset seen another way than in a packet (the live monitor's own). */
  addReset(r: TcpReset): void {
    if (this.resets.length < MAX_RESETS) this.resets.push(r);
    else this.droppedResets++;
  }

  readonly add = (rec: PacketRecord): void => {
    const ip = rec.ip;
    if (!ip) return;
    if (rec.hb && rec.app === 'mds-heartbeat') {
      const id = { key: flowKey(rec), src: ip.src, dst: ip.dst, sport: rec.sport, dport: rec.dport };
      for (const e of rec.hb.earlier ?? []) this.detector.heartbeat(id, e.seq, rec.hb.byteOrder, e.tsSec + e.tsNsec / 1e9);
      this.detector.heartbeat(id, rec.hb.seq, rec.hb.byteOrder, rec.tsSec + rec.tsNsec / 1e9);
    } else if (rec.tcp && rec.tcp.flags & TCP_RST) {
      this.addReset({ time: rec.tsSec + rec.tsNsec / 1e9, src: ip.src, sport: rec.sport, dst: ip.dst, dport: rec.dport });
    }
  };

  /** The lane holds no TCP; its heartbeats go to the detector as their records would. */
  addUdpBatch(batch: UdpBatch): void {
    for (let i = 0; i < batch.length; i++) {
      if (batch.app[i] !== BATCH_HEARTBEAT) continue;
      const id = batch.flows.info(batch.flow[i]).id;
      const order = batchByteOrder(batch, i);
      // Rare (a shape-recognised stream's first datagrams): no empty array per heartbeat for the common case.
      const earlier = batch.hbEarlier.size > 0 ? batch.hbEarlier.get(i) : undefined;
      if (earlier !== undefined) for (const e of earlier) this.detector.heartbeat(id, e.seq, order, e.tsSec + e.tsNsec / 1e9);
      this.detector.heartbeat(id, batch.hbSeq[i], order, batch.tsSec[i] + batch.tsNsec[i] / 1e9);
    }
  }

  /** The report at the end of input; `end` is the capture's last timestamp (trailing silence counts up to it). */
  report(end: number | null): HeartbeatReport {
    const d = this.detector;
    if (end !== null) d.finish(end);
    const streams = d.streamReports();
    const detected = d.eventList();
    const failovers = detected.filter((e): e is FailoverEvent => e.type === 'failover');
    const peers = new Set(streams.map((s) => pairKeyOf(s.src, s.dst)));
    const resets = linkResets(failovers, this.resets, peers, d.params);
    const events = [...detected, ...resets].sort(compareEvents);
    return {
      params: d.params,
      totals: {
        streams: streams.length,
        lost: streams.reduce((n, s) => n + s.lost, 0),
        failovers: failovers.length,
        failoversWithoutReset: failovers.filter((f) => f.reset === null).length,
        resets: resets.filter((r) => r.type === 'reset').length,
        unexplainedResets: resets.filter((r) => r.type === 'unexplained-reset').length,
        restarts: streams.reduce((n, s) => n + s.restarts, 0),
        droppedEvents: d.droppedEvents + this.droppedResets,
        untrackedStreams: d.untrackedStreams,
        untrackedHeartbeats: d.untrackedHeartbeats,
      },
      streams,
      pairs: pairStreams(streams, events),
      events,
    };
  }
}
