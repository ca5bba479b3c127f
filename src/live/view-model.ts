// What the live views show, as plain data: the session (src/live/session.ts)
// builds a snapshot from the analyzers, and both the terminal UI (src/tui/)
// and the text/JSON event lines draw from it. Nothing here holds state.

import type { CallRecord } from '../sip/dialogs.js';
import type { KeepalivePair } from '../sip/keepalives.js';
import type { FlowAudit, DscpAuditTotals } from '../dscp/audit.js';
import type { CallMedia, MediaReport, MediaTotals, RtpStreamReport } from '../media/analyzer.js';
import type { ClusterSnapshot } from '../cluster/analyzer.js';
import type { LinkState } from '../cluster/mesh.js';
import type { HealthCheck } from '../cluster/health-checks.js';

export type SourceKind = 'interface' | 'file' | 'replay' | 'hep';

export interface SourceInfo {
  kind: SourceKind;
  /** Interface name or file path. */
  name: string;
  /** BPF filter (interfaces only). */
  filter: string | null;
}

/** The receiver's view of one heartbeat direction right now. */
export type HeartbeatState = 'ok' | 'missing' | 'failed' | 'restarted';

export interface HeartbeatDirection {
  /** Flow key "src:sport>dst:dport". */
  stream: string;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  lastSeq: number;
  /** Epoch seconds of the last heartbeat. */
  lastHeard: number;
  /** Time between the last two heartbeats (ms); null after only one. */
  lastIntervalMs: number | null;
  /** Recent intervals (ms), oldest first, for a sparkline. */
  recentMs: number[];
  /** Deadlines missed in a row right now (0 while heartbeats arrive). */
  misses: number;
  state: HeartbeatState;
  received: number;
  lost: number;
  failovers: number;
  restarts: number;
}

/** The two directions between two hosts (one when only one was seen). */
export interface HeartbeatPairRow {
  /** "hostA <> hostB", the two addresses in sorted order. */
  pair: string;
  directions: HeartbeatDirection[];
}

export type LiveEventKind =
  | 'failover' | 'recovery' | 'restart' | 'loss' | 'reset' | 'unexplained-reset'
  | 'dscp-violation' | 'keepalive-failing' | 'sip-timeout' | 'capture-drops' | 'monitor-stalled'
  | 'mesh-link-down' | 'mesh-link-up';

export type Severity = 'alarm' | 'warn' | 'info';

export interface LiveEvent {
  /** Epoch seconds (packet time offline, the clock live). */
  time: number;
  kind: LiveEventKind;
  severity: Severity;
  /** What it is about: a stream key, a flow, a peer pair. */
  subject: string;
  /** One line in words. May hold text from packets: sanitize before drawing. */
  text: string;
}

export interface CaptureCountersView {
  /** Packets the kernel dropped for lack of buffer (null: not known, e.g. a file). */
  kernelDrops: number | null;
  /** Packets the interface dropped. */
  interfaceDrops: number | null;
}

export interface LiveSnapshot {
  source: SourceInfo;
  /** Epoch seconds the snapshot describes. */
  now: number;
  /** Seconds since the session started (capture time for files). */
  elapsedSec: number;
  packets: number;
  /** Packets per second over the last few seconds. */
  pps: number;
  drops: CaptureCountersView;
  /** Records with a decode error. */
  errors: number;
  /** The heartbeat interval the detector expects (ms): the sparkline's unit. */
  heartbeatIntervalMs: number;
  heartbeats: HeartbeatPairRow[];
  /** Most recent first. */
  calls: CallRecord[];
  keepalives: KeepalivePair[];
  /** Violations first (as the audit orders them). */
  dscp: FlowAudit[];
  dscpTotals: DscpAuditTotals;
  media: MediaSection;
  cluster: ClusterSection;
  /** Newest first, capped. */
  events: LiveEvent[];
  /** The source has ended (a file read to its end, a capture stopped). */
  ended: boolean;
  /** A file still being read: how far (set by the publisher; absent once read, and for live sources). */
  loading?: LoadProgress;
}

export interface LoadProgress {
  /** Share of the file read, 0-100; null when its size is not known (a pipe). */
  percent: number | null;
  packets: number;
}

/** The RTP streams, worst first, as the media analyzer measures them so far. */
export interface MediaSection {
  /** Lowest MOS first (streams with no score after the scored ones), then the most lost; at most MAX_MEDIA_ROWS. */
  streams: RtpStreamReport[];
  /** Every stream's, those left out of `streams` included. */
  totals: MediaTotals;
  /** The media of the calls the snapshot lists (`calls`, by Call-ID), as analyze's rtp.calls gives it: the worse direction's MOS, the worst loss and jitter. */
  calls: CallMedia[];
}

/** Streams a snapshot carries: the worst ones are what a screen shows. */
export const MAX_MEDIA_ROWS = 500;

/** Worse first: scored streams by MOS, then by loss; unscored ones (video, too short) after, by loss. */
function worseFirst(a: RtpStreamReport, b: RtpStreamReport): number {
  const ma = a.quality?.mos ?? Number.POSITIVE_INFINITY;
  const mb = b.quality?.mos ?? Number.POSITIVE_INFINITY;
  if (ma !== mb) return ma < mb ? -1 : 1;
  return b.lossPercent - a.lossPercent || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

/** `calls`: the calls the snapshot lists; only their media is carried (the list is bounded, the media table need not be). */
export function mediaSection(r: MediaReport, calls: readonly CallRecord[]): MediaSection {
  const listed = new Set(calls.map((c) => c.callId));
  return { streams: [...r.streams].sort(worseFirst).slice(0, MAX_MEDIA_ROWS), totals: r.totals, calls: r.calls.filter((c) => listed.has(c.callId)) };
}

/** A mesh link that is not up: reset, closed, or never seen. */
export interface MeshLinkRow {
  a: string;
  b: string;
  state: Exclude<LinkState, 'up'>;
  /** When it went down; null for a link never seen up. */
  since: number | null;
  resets: number;
}

/** One multicast group as the cluster pane lists it. */
export interface MulticastGroupRow {
  group: string;
  /** Members now. */
  members: number;
  streams: number;
  /** Members that joined and were sent nothing. */
  silentMembers: number;
  /** Streams sent while nobody had joined. */
  unjoinedStreams: number;
  /** Streams not marked EF throughout. */
  unmarkedStreams: number;
}

/** The cluster views so far: what is wrong first. */
export interface ClusterSection {
  nodes: number;
  linksUp: number;
  /** Links a full mesh of `nodes` has. */
  linksTotal: number;
  /** Down first, then never seen; at most MAX_CLUSTER_ROWS. */
  linksNotUp: MeshLinkRow[];
  /** Health checks with failures; at most MAX_CLUSTER_ROWS. */
  failingChecks: HealthCheck[];
  multicast: MulticastGroupRow[];
}

/** Rows per cluster list a snapshot carries. */
export const MAX_CLUSTER_ROWS = 200;

const NOT_UP_ORDER: Record<Exclude<LinkState, 'up'>, number> = { reset: 0, closed: 1, missing: 2 };

export function clusterSection(c: ClusterSnapshot): ClusterSection {
  const notUp: MeshLinkRow[] = [];
  let up = 0;
  for (const l of c.mesh.links) {
    if (l.state === 'up') up++;
    else notUp.push({ a: l.a, b: l.b, state: l.state, since: l.downAt, resets: l.resets });
  }
  // Stable sort: within a state the mesh's address order stays.
  notUp.sort((x, y) => NOT_UP_ORDER[x.state] - NOT_UP_ORDER[y.state]);
  return {
    nodes: c.mesh.nodes.length,
    linksUp: up,
    linksTotal: c.mesh.expectedLinks,
    linksNotUp: notUp.slice(0, MAX_CLUSTER_ROWS),
    failingChecks: c.healthChecks.filter((h) => h.failed > 0).slice(0, MAX_CLUSTER_ROWS),
    multicast: c.multicast.groups.slice(0, MAX_CLUSTER_ROWS).map((g) => ({
      group: g.group, members: g.members.length, streams: g.streams.length, silentMembers: g.silentMembers.length,
      unjoinedStreams: g.streams.filter((s) => s.nobodyJoined).length, unmarkedStreams: g.streams.filter((s) => !s.markedEf).length,
    })),
  };
}
