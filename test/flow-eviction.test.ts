// The flow table's eviction is the only bound on the analyzers' per-flow
// state: on a port scan (test/bench/port-scan.ts: one-packet flows, half UDP
// with a 4-byte payload, half TCP SYN) through a small table, every flow let
// go is judged by the DSCP audit and its TCP connection handed over as it
// stood, and each count says so; what a full run reports stays what an
// unbounded one would.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writePortScanCapture } from './bench/port-scan.js';
import { analyzeFile } from '../src/analysis/analyze.js';

const dir = mkdtempSync(join(tmpdir(), 'ucprobe-evict-'));
const file = join(dir, 'scan.pcap');
const PROBES = 6000;
writePortScanCapture(file, PROBES);

test('a port scan through a 1,024-flow table: each flow judged once, every eviction counted by each analyzer', async () => {
  const small = await analyzeFile(file, { maxFlows: 1024 });
  const whole = await analyzeFile(file);
  const f = small.pipeline.flows;
  assert.deepEqual(f, { interned: PROBES, evicted: PROBES - 1024, capacity: 1024 });
  assert.equal(whole.pipeline.flows.evicted, 0);
  const a = small.dscpAudit;
  // One-packet flows leave in the order they came (CLOCK, no second chance): alternately UDP and TCP.
  assert.equal(a.totals.evicted, f.evicted, 'the audit judged every flow the table let go');
  assert.equal(a.flows.length, 1024);
  for (const k of ['flows', 'packets', 'violation', 'accepted', 'unclassified', 'ok', 'mixed'] as const) assert.equal(a.totals[k], whole.dscpAudit.totals[k], k);
  assert.equal(small.cluster.connectionsEvicted, f.evicted / 2, 'each TCP SYN let go was handed over as it stood');
  assert.equal(whole.cluster.connectionsEvicted, 0);
  // Each SYN is a failed probe of its own (source, target, port): fewer than 4,096 groups, none dropped, none a checker.
  assert.deepEqual(small.cluster.healthCheckLimits, { minProbes: 3, groupsDropped: 0 });
  assert.deepEqual(small.cluster.healthChecks, []);
  assert.equal(small.heartbeats.streams.length, 0, 'one 4-byte datagram per flow is no heartbeat stream');
  assert.equal(small.protocols.mdsHeartbeat, whole.protocols.mdsHeartbeat);
});
