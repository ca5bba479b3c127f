// An `analyze` report as protobuf records: per file, its capture facts, the
// heartbeat streams and events, the SIP calls (with their media's MOS), their
// setup times over the whole capture and the keepalives, the RTP streams, the
// DSCP verdicts, the mesh links, health checks and multicast groups.

import type { FileReport } from '../analysis/analyze.js';
import type { PbRecord } from './messages.js';
import {
  captureMessage, dscpVerdictMessage, healthCheckMessage, heartbeatEventMessage, heartbeatStreamMessage, keepaliveMessage, meshLinkMessage,
  multicastGroupMessage, rtpStreamMessage, serviceLinkMessage, sipCallMessage,
} from './records.js';

export function* analysisRecords(r: FileReport): Generator<PbRecord> {
  yield { capture: captureMessage(r.file, r.capture, r.error) };
  for (const s of r.heartbeats.streams) yield { heartbeatStream: heartbeatStreamMessage(s) };
  for (const e of r.heartbeats.events) yield { heartbeatEvent: heartbeatEventMessage(e) };
  const media = new Map(r.rtp.calls.map((m) => [m.callId, m]));
  for (const c of r.sipAnalysis.calls.calls) yield { sipCall: sipCallMessage(c, media.get(c.callId)) };
  if (r.sipAnalysis.calls.setup !== null) yield { sipSetup: r.sipAnalysis.calls.setup };
  for (const s of r.rtp.streams) yield { rtpStream: rtpStreamMessage(s) };
  for (const k of r.sipAnalysis.keepalives) yield { keepalive: keepaliveMessage(k) };
  for (const f of r.dscpAudit.flows) yield { dscpVerdict: dscpVerdictMessage(f, r.dscpAudit.policy) };
  const mesh = r.cluster.mesh;
  for (const l of mesh.links) yield { meshLink: meshLinkMessage(l, mesh.port) };
  for (const s of mesh.services) yield { meshLink: serviceLinkMessage(s) };
  for (const h of r.cluster.healthChecks) yield { healthCheck: healthCheckMessage(h) };
  for (const g of r.multicast.groups) yield { multicastGroup: multicastGroupMessage(g) };
}
