// The cluster views on captures written by the project's writer
// (test/cluster-fixtures.ts): the ICCS mesh of eight nodes with a link reset
// for good, one reset and back, one never established; CTI and database
// links beside it; a load balancer health-checking two SIP nodes, one of
// which refuses from half-way; RFC 5626 CRLF keepalives; a 500-node mesh.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeFile } from '../src/analysis/analyze.js';
import { ICCS, LB, MESH_NODES, SIP_NODES, START_SEC, TcpScript, lbFrames, meshFrames, writeFrames, type TimedFrame } from './cluster-fixtures.js';
import { REPO, runCli } from './helpers.js';
import { HealthCheckTracker } from '../src/cluster/health-checks.js';
import type { ConnectionEnd, TcpConnection } from '../src/cluster/tcp-connections.js';
import { FlowTable } from '../src/pipeline/flow-table.js';
import { ipv4Number } from '../dissectors/ipv4.js';

const tmp = mkdtempSync(join(tmpdir(), 'ucprobe-cluster-'));
const MESH = join(tmp, 'mesh.pcap');
const LBCAP = join(tmp, 'lb.pcap');
writeFrames(MESH, meshFrames());
writeFrames(LBCAP, lbFrames());

test('mesh: 8 nodes, 28 links; one reset for good, one reset and back, one never established; CTI and DB beside it', async () => {
  const r = await analyzeFile(MESH);
  const m = r.cluster.mesh;
  assert.equal(m.port, ICCS);
  assert.deepEqual(m.nodes.map((n) => n.address), MESH_NODES);
  assert.equal(m.expectedLinks, 28);
  assert.equal(m.links.length, 28);
  assert.equal(m.missing, 1);
  const states = m.links.reduce<Record<string, number>>((a, l) => ({ ...a, [l.state]: (a[l.state] ?? 0) + 1 }), {});
  assert.deepEqual(states, { up: 26, reset: 1, missing: 1 });
  const link = (a: string, b: string) => m.links.find((l) => l.a === a && l.b === b)!;
  const broken = link('10.1.0.2', '10.1.0.5');
  assert.equal(broken.state, 'reset');
  assert.equal(broken.downAt, START_SEC + 30);
  assert.deepEqual([broken.resets, broken.resetsByA, broken.resetsByB], [1, 0, 1]);
  // Three exchanges (5, 15, 25 s) of 100 bytes each way before the reset.
  assert.deepEqual([broken.aToB.bytes, broken.bToA.bytes], [300, 300]);
  const back = link('10.1.0.1', '10.1.0.8');
  assert.equal(back.state, 'up');
  assert.equal(back.downAt, null);
  assert.deepEqual([back.connections, back.resets, back.resetsByA, back.resetsByB], [2, 1, 1, 0]);
  assert.deepEqual([back.aToB.bytes, back.bToA.bytes], [500, 500]);
  const never = link('10.1.0.3', '10.1.0.7');
  assert.equal(never.state, 'missing');
  assert.deepEqual([never.connections, never.failedAttempts, never.aToB.packets, never.bToA.packets], [1, 1, 3, 0]);
  // Marking per direction: 10.1.0.4 sends best effort to 10.1.0.6, which answers CS3.
  const marked = link('10.1.0.4', '10.1.0.6');
  assert.deepEqual(marked.aToB.dscp, { 0: 14 });
  assert.deepEqual(marked.bToA.dscp, { 24: 13 });
  assert.deepEqual(link('10.1.0.1', '10.1.0.2').aToB, { packets: 14, bytes: 600, dscp: { 24: 14 } });
  assert.deepEqual(m.nodes.find((n) => n.address === '10.1.0.5'), { address: '10.1.0.5', up: 6, down: 1, missing: 0 });
  assert.deepEqual(m.nodes.find((n) => n.address === '10.1.0.7'), { address: '10.1.0.7', up: 6, down: 0, missing: 1 });
  assert.deepEqual(m.events.map((e) => [e.type, Number((e.time - START_SEC).toFixed(6)), e.a, e.b, e.detail]), [
    ['mesh-link-down', 20, '10.1.0.1', '10.1.0.8', 'reset by 10.1.0.1'],
    ['mesh-link-up', 25.001, '10.1.0.1', '10.1.0.8', 'came back after 5.001 s'],
    ['mesh-link-down', 30, '10.1.0.2', '10.1.0.5', 'reset by 10.1.0.5'],
  ]);
  assert.deepEqual(m.services.map((s) => [s.service, s.client, s.server, s.port, s.state, s.toServer.bytes, s.toClient.bytes]), [
    ['cti', '10.1.0.50', '10.1.0.1', 2748, 'up', 300, 200],
    ['db-replication', '10.1.0.1', '10.1.0.2', 1500, 'closed', 1000, 0],
  ]);
  assert.ok(Math.abs(m.services[1].downAt! - START_SEC - 50.001) < 1e-6);
  assert.deepEqual(r.cluster.healthChecks, []);
  // The audit still judges the mesh: one direction marked best effort.
  assert.equal(r.dscpAudit.totals.violation, 1);
  assert.equal(r.dscpAudit.flows[0].flow, '10.1.0.4:40019>10.1.0.6:8002');
});

test('health checks: two targets, 12 probes each every 5 s; 10.2.0.12 refuses the last 6; not audited as SIP', async () => {
  const r = await analyzeFile(LBCAP);
  const checks = r.cluster.healthChecks;
  assert.deepEqual(r.cluster.healthCheckLimits, { minProbes: 3, groupsDropped: 0 });
  assert.deepEqual(checks.map((c) => [c.checker, c.target, c.port, c.probes, c.failed, c.refused, c.unanswered, c.intervalS]), [
    [LB, SIP_NODES[0], 5060, 12, 0, 0, 0, 5],
    [LB, SIP_NODES[1], 5060, 12, 6, 6, 0, 5],
  ]);
  const bad = checks[1];
  assert.equal(bad.firstFailure! - START_SEC, 30.5);
  assert.equal(bad.lastFailure! - START_SEC, 55.5);
  assert.equal(bad.failingSince! - START_SEC, 30.5);
  assert.equal(checks[0].failingSince, null);
  // Marking of the checker's packets up to each probe's end: SYN, ACK, FIN (.11); SYN, ACK, RST, then SYN alone (.12).
  assert.deepEqual(checks[0].dscp, { 0: 36 });
  assert.deepEqual(checks[1].dscp, { 0: 24 });
  // 48 probe flows (24 probes, both directions) left out of the audit; only the SIP connection is judged, and is ok.
  assert.equal(r.dscpAudit.totals.healthCheckFlows, 48);
  assert.equal(r.dscpAudit.totals.violation, 0);
  assert.deepEqual(r.dscpAudit.flows.map((f) => [f.flow, f.class, f.verdict]), [
    ['10.2.0.100:40000>10.2.0.11:5060', 'sip', 'ok'],
    ['10.2.0.11:5060>10.2.0.100:40000', 'sip', 'ok'],
  ]);
  assert.equal(r.protocols.tcpRst, 12);
  // CRLF keepalives: counted as such, neither SIP messages nor garbage.
  assert.deepEqual(r.cluster.sipCrlfKeepalives, { pings: 3, pongs: 3, connections: 1 });
  assert.equal(r.sip.messages, 2);
  assert.equal(r.pipeline.sipGarbageBytes, 0);
});

test('a policy rule naming app health-check audits the probes', async () => {
  const policy = join(tmp, 'policy.json');
  writeFileSync(policy, JSON.stringify({ rules: [{ class: 'lb-probe', app: 'health-check', expect: ['CS3'] }] }));
  const r = runCli(['analyze', LBCAP, '--policy', policy, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const audit = JSON.parse(r.stdout).files[0].dscpAudit;
  assert.equal(audit.totals.healthCheckFlows, 0);
  const probes = audit.flows.filter((f: { class: string }) => f.class === 'lb-probe');
  // Every probe flow, both directions, carries CS0 where the rule wants CS3.
  assert.equal(probes.length, 48);
  assert.ok(probes.every((f: { verdict: string; app: string }) => f.verdict === 'violation' && f.app === 'health-check'));
});

test('analyze text, CSV, pb and --fail-on health-check', () => {
  const t = runCli(['analyze', MESH, LBCAP]);
  assert.equal(t.status, 0, t.stderr);
  assert.match(t.stdout, /Cluster mesh \(ICCS, TCP 8002: 8 nodes, 28 links in a full mesh; 26 up, 1 reset, 0 closed, 1 missing\)/);
  assert.match(t.stdout, /10\.1\.0\.2 - 10\.1\.0\.5 +RESET +1 \(by 10\.1\.0\.5×1\) +300\/300 .*down since \+30\.000, never came back/);
  assert.match(t.stdout, /10\.1\.0\.3 - 10\.1\.0\.7 +MISSING .*never established: 1 attempt refused or unanswered/);
  assert.match(t.stdout, /\+30\.000 +mesh-link-down +10\.1\.0\.2 - 10\.1\.0\.5 +reset by 10\.1\.0\.5/);
  assert.match(t.stdout, /  2  10\.1\.0\.2 U · U U R U U U/);
  assert.match(t.stdout, /db-replication +10\.1\.0\.1 +10\.1\.0\.2 +1500 +CLOSED/);
  assert.match(t.stdout, /Health checks .*2 checker-target pairs, 1 FAILING at the end\)/);
  assert.match(t.stdout, /10\.2\.0\.100 +10\.2\.0\.12 +5060 +12 +6 \(6 refused\) +5\.0 +\+30\.500 +\+55\.500 +\+30\.500 +CS0/);
  assert.match(t.stdout, /SIP CRLF keepalives \(RFC 5626\): 3 pings .* 3 pongs .* on 1 TCP connection/);
  assert.match(t.stdout, /48 health-check probe flows not audited as signaling/);

  const json = runCli(['analyze', MESH, '--json']);
  assert.equal(json.status, 0, json.stderr);
  const mesh = JSON.parse(json.stdout).files[0].cluster.mesh;
  assert.equal(mesh.links.length, 28);

  const csv = runCli(['analyze', MESH, '--format', 'csv', '--table', 'mesh']).stdout.trim().split('\r\n');
  assert.equal(csv.length, 1 + 28 + 2);
  assert.match(csv[0], /^file,service,a,b,port,state,connections,failed_attempts,/);
  assert.ok(csv.some((l) => l.includes(',iccs,10.1.0.2,10.1.0.5,8002,reset,1,0,') && l.endsWith(',1,0,1,300,300,8,8,CS3:8,CS3:8')), csv.join('\n'));
  const hc = runCli(['analyze', LBCAP, '--format', 'csv', '--table', 'health-checks']).stdout.trim().split('\r\n');
  assert.equal(hc.length, 3);
  assert.ok(hc[2].includes(',10.2.0.100,10.2.0.12,5060,12,6,6,0,5,'), hc[2]);

  const fail = runCli(['analyze', LBCAP, '--fail-on', 'health-check']);
  assert.equal(fail.status, 1);
  assert.match(fail.stderr, /--fail-on: 1 load balancer health-check target\(s\) failing probes in /);
  assert.equal(runCli(['analyze', MESH, '--fail-on', 'health-check']).status, 0);

  const pbFile = join(tmp, 'mesh.pb');
  assert.equal(runCli(['analyze', MESH, LBCAP, '--format', 'pb', '-o', pbFile]).status, 0);
  const lines = runCli(['decode-pb', pbFile]).stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, Record<string, unknown>>);
  const links = lines.filter((l) => l.meshLink).map((l) => l.meshLink);
  assert.equal(links.length, 30);
  assert.deepEqual(links.find((l) => l.a === '10.1.0.2' && l.b === '10.1.0.5'), {
    service: 'iccs', a: '10.1.0.2', b: '10.1.0.5', port: 8002, state: 'reset', connections: 1, failedAttempts: 0, resets: 1, resetsByA: 0, resetsByB: 1,
    bytesAToB: 300, bytesBToA: 300, upAt: START_SEC + 0.091, downAt: START_SEC + 30, dscpAToB: { 24: 8 }, dscpBToA: { 24: 8 },
  });
  const checks = lines.filter((l) => l.healthCheck).map((l) => l.healthCheck);
  assert.deepEqual(checks.map((c) => [c.target, c.probes, c.failed]), [[SIP_NODES[0], 12, 0], [SIP_NODES[1], 12, 6]]);
});

test('the HTML report draws the mesh as a matrix with the broken links marked, and the links that went down on the timeline', () => {
  const out = join(tmp, 'mesh.html');
  const r = runCli(['report', MESH, LBCAP, '-o', out]);
  assert.equal(r.status, 0, r.stderr);
  const html = readFileSync(out, 'utf8');
  assert.equal((html.match(/class="mesh-cell mesh-up"/g) ?? []).length, 26 * 2);
  assert.equal((html.match(/class="mesh-cell mesh-reset"/g) ?? []).length, 2);
  assert.equal((html.match(/class="mesh-cell mesh-missing"/g) ?? []).length, 2);
  assert.match(html, /title="10\.1\.0\.2 – 10\.1\.0\.5: reset; down since \+30\.000 s; 1 reset\(s\): 0 by 10\.1\.0\.2, 1 by 10\.1\.0\.5;/);
  assert.match(html, />mesh 10\.1\.0\.1 – 10\.1\.0\.8</);
  assert.match(html, /Load balancer health checks \(2\)/);
  // The cluster styles come with a cluster section, and only then.
  assert.equal(html.includes('table.mesh-matrix td.mesh-up'), true);
  const plain = join(tmp, 'plain.html');
  assert.equal(runCli(['report', join(REPO, 'captures', 'demo.pcap'), '-o', plain]).status, 0);
  assert.equal(readFileSync(plain, 'utf8').includes('mesh-matrix'), false);
});

test('the config file moves the mesh to another port; a bad cluster key is one line', () => {
  const frames: TimedFrame[] = [];
  new TcpScript(frames, '10.9.0.1', 40000, '10.9.0.2', 9002).handshake(0).data(1, true, 10);
  new TcpScript(frames, '10.9.0.1', 40001, '10.9.0.3', 9002).handshake(0).data(1, true, 10);
  const cap = join(tmp, 'port.pcap');
  writeFrames(cap, frames);
  const cfg = join(tmp, 'cluster.json');
  writeFileSync(cfg, JSON.stringify({ cluster: { iccsPort: 9002, dbPorts: '1600-1601' } }));
  const r = runCli(['analyze', cap, '--config', cfg, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const mesh = JSON.parse(r.stdout).files[0].cluster.mesh;
  assert.equal(mesh.port, 9002);
  assert.deepEqual(mesh.links.map((l: { a: string; b: string; state: string }) => `${l.a}-${l.b} ${l.state}`), ['10.9.0.1-10.9.0.2 up', '10.9.0.1-10.9.0.3 up', '10.9.0.2-10.9.0.3 missing']);
  writeFileSync(cfg, JSON.stringify({ cluster: { iccsPort: 70000 } }));
  const bad = runCli(['analyze', cap, '--config', cfg]);
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr.trim(), `ucprobe: config ${cfg}: cluster.iccsPort: expected a port 1..65535, got 70000`);
});

test('a mesh of 500 nodes is bounded to 64 and says so', async () => {
  const frames: TimedFrame[] = [];
  // A chain: node i connects to node i+1, so 500 nodes appear in 499 connections.
  for (let i = 0; i < 499; i++) {
    const a = `10.5.${(i >> 8) & 255}.${i & 255}`;
    const b = `10.5.${((i + 1) >> 8) & 255}.${(i + 1) & 255}`;
    new TcpScript(frames, a, 40000, b, ICCS).handshake(i * 0.001);
  }
  const cap = join(tmp, 'big.pcap');
  writeFrames(cap, frames);
  const m = (await analyzeFile(cap)).cluster.mesh;
  assert.equal(m.nodes.length, 64);
  assert.equal(m.maxNodes, 64);
  assert.equal(m.links.length, 64 * 63 / 2);
  assert.equal(m.nodesOverLimit, 436);
  assert.equal(m.connectionsOverLimit, 499 - 63);
  const t = runCli(['analyze', cap]);
  assert.match(t.stdout, /436 further nodes past the 64-node limit \(436 connections\) left out of the mesh; raise cluster\.maxNodes in --config/);
  assert.match(t.stdout, /\(40 more nodes in --json\)/);
});

test('a node gone silent: its unanswered probes (SYNs alone, one retransmitted) are failed probes, whether the flow table lets them go or the capture ends', async () => {
  const frames: TimedFrame[] = [];
  const node = '10.2.0.13';
  for (let k = 0; k < 12; k++) {
    const t = 5 * k;
    const probe = new TcpScript(frames, LB, 51000 + k, node, 5060, [24, 0]);
    if (t >= 30) probe.syn(t).syn(t + 1);
    else probe.handshake(t).close(t + 0.01, true);
  }
  const cap = join(tmp, 'silent.pcap');
  writeFrames(cap, frames);
  const whole = await analyzeFile(cap);
  // Four flows held: silent probes leave the table before the capture ends, the last ones at its end.
  const small = await analyzeFile(cap, { maxFlows: 4 });
  assert.equal(whole.cluster.connectionsEvicted, 0);
  assert.ok(small.cluster.connectionsEvicted >= 2, `${small.cluster.connectionsEvicted} evicted`);
  for (const r of [whole, small]) {
    const [c] = r.cluster.healthChecks;
    assert.deepEqual([c.checker, c.target, c.port, c.probes, c.failed, c.refused, c.unanswered, c.intervalS], [LB, node, 5060, 12, 6, 0, 6, 5]);
    assert.equal(c.firstFailure! - START_SEC, 30);
    assert.equal(c.lastFailure! - START_SEC, 55);
    assert.equal(c.failingSince! - START_SEC, 30);
    // The checker's SYN, ACK and FIN of each of 6 passed probes, and 2 SYNs of each silent one, all CS3.
    assert.deepEqual(c.dscp, { 24: 6 * 3 + 6 * 2 });
  }
  // Both directions of each passed probe and the one of each silent probe, left to the health-check rules.
  assert.equal(whole.dscpAudit.totals.healthCheckFlows, 6 * 2 + 6);
});

test('unanswered probes of SYNs alone, counted as numbers (a group\'s first one kept without a group), report as the same probes handed over as connections', () => {
  const flows = new FlowTable(1024);
  const byNumbers = new HealthCheckTracker(3);
  const byConnections = new HealthCheckTracker(3);
  const lb = ipv4Number(LB)!;
  const connection = (target: string, clientPort: number, start: number, end: ConnectionEnd, syns: number, dscp: number): TcpConnection => {
    const passed = end === 'closed';
    return {
      client: LB, clientPort, server: target, serverPort: 5060, handshakeSeen: true, synAt: start, syns, establishedAt: passed ? start + 0.001 : null,
      first: start, last: start + 1, toServer: { packets: syns + (passed ? 2 : 0), bytes: 0, dscp: { [dscp]: syns + (passed ? 2 : 0) }, resets: 0, fin: passed },
      toClient: { packets: passed ? 2 : 0, bytes: 0, dscp: passed ? { 0: 2 } : {}, resets: 0, fin: passed },
      resetAt: null, resetBy: null, closedAt: passed ? start + 0.01 : null, crlfPings: 0, crlfPongs: 0, end,
    };
  };
  let port = 30000;
  const probe = (target: string, start: number, passed: boolean, syns = 2, dscp = 24): void => {
    const clientPort = port++;
    const id = flows.ipv4(6, lb, ipv4Number(target)!, clientPort, 5060);
    const c = connection(target, clientPort, start, passed ? 'closed' : 'unanswered', syns, dscp);
    if (passed) byNumbers.add(c, flows, id);
    else byNumbers.addUnanswered(flows, id, start, syns, dscp);
    byConnections.add(c, flows, id);
  };
  // A node that comes up after three unanswered probes (its group begins as one lone probe), one that never answers,
  // one that goes silent after answering; then 5,000 one-probe targets push the groups table (4,096) to drop groups, lone ones among them.
  for (let k = 0; k < 12; k++) {
    probe('10.2.0.14', 5 * k, k >= 3, 1 + (k % 2), k === 1 ? 26 : 24);
    probe('10.2.0.15', 5 * k + 1, false);
    probe('10.2.0.16', 5 * k + 2, k < 6, 2, 46);
  }
  for (let k = 0; k < 5000; k++) probe(`10.3.${k >> 8}.${k & 255}`, 60 + k * 0.001, false, 1, 0);
  probe('10.2.0.16', 70, true);
  const numbers = byNumbers.report();
  assert.deepEqual(numbers, byConnections.report());
  assert.deepEqual([...byNumbers.probeFlows()], [...byConnections.probeFlows()]);
  assert.deepEqual(numbers.checks.map((c) => [c.target, c.probes, c.failed, c.unanswered, c.failingSince]), [
    ['10.2.0.14', 12, 3, 3, null],
    ['10.2.0.16', 13, 6, 6, null],
  ]);
  // The late node's checker packets: 1 and 1 SYN (CS3) and 2 (AF31) unanswered, then SYNs, ACK and FIN of 9 passed probes.
  assert.deepEqual(numbers.checks[0].dscp, { 24: 2 + 5 * 4 + 4 * 3, 26: 2 });
  assert.ok(numbers.groupsDropped > 900, `${numbers.groupsDropped} groups dropped`);
});
