// An `analyze` report as protobuf records: per file, its capture facts, the
// heartbeat streams and events, the SIP calls and keepalives, and the DSCP
// verdicts.

import type { FileReport } from '../analysis/analyze.js';
import type { PbRecord } from './messages.js';
import {
  captureMessage, dscpVerdictMessage, heartbeatEventMessage, heartbeatStreamMessage, keepaliveMessage, sipCallMessage,
} from './records.js';

export function* analysisRecords(r: FileReport): Generator<PbRecord> {
  yield { capture: captureMessage(r.file, r.capture, r.error) };
  for (const s of r.heartbeats.streams) yield { heartbeatStream: heartbeatStreamMessage(s) };
  for (const e of r.heartbeats.events) yield { heartbeatEvent: heartbeatEventMessage(e) };
  for (const c of r.sipAnalysis.calls.calls) yield { sipCall: sipCallMessage(c) };
  for (const k of r.sipAnalysis.keepalives) yield { keepalive: keepaliveMessage(k) };
  for (const f of r.dscpAudit.flows) yield { dscpVerdict: dscpVerdictMessage(f, r.dscpAudit.policy) };
}
