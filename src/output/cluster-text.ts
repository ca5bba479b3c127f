// The cluster part of the `analyze` text report: the call-processing mesh
// (a matrix, the links not up, the timeline), the CTI and database links
// beside it, the load balancer health checks and SIP CRLF keepalives. Each
// section is printed only when the capture has something for it.

import { phbName } from '../../dissectors/dscp.js';
import type { ClusterReport } from '../cluster/analyzer.js';
import type { DirectionFacts, LinkState, MeshLink, MeshReport } from '../cluster/mesh.js';
import type { HealthCheck } from '../cluster/health-checks.js';
import { table } from './table.js';
import { plural, signedOffset as rel } from './words.js';

/** Links listed when up (every link not up is listed); the JSON has all. */
const MAX_UP_ROWS = 40;
/** Nodes drawn in the text matrix (a cluster has at most 8 call-processing nodes). */
const MAX_MATRIX_NODES = 24;
const MAX_EVENT_ROWS = 200;

const CELL: Readonly<Record<LinkState, string>> = { up: 'U', reset: 'R', closed: 'C', missing: '-' };

/** "CS3" or "CS0×3 CS3×11": the markings of one direction, most used first. */
export function markingText(dscp: Record<number, number>): string {
  const e = Object.entries(dscp).map(([d, n]): [number, number] => [Number(d), n]).sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  if (e.length === 0) return '-';
  if (e.length === 1) return phbName(e[0][0]);
  return e.map(([d, n]) => `${phbName(d)}×${n}`).join(' ');
}

function bytesBoth(x: DirectionFacts, y: DirectionFacts): string {
  return `${x.bytes}/${y.bytes}`;
}

function resetText(l: MeshLink): string {
  if (l.resets === 0) return '-';
  const by = [l.resetsByA ? `${l.a}×${l.resetsByA}` : '', l.resetsByB ? `${l.b}×${l.resetsByB}` : ''].filter(Boolean).join(' ');
  return `${l.resets} (by ${by})`;
}

function linkNote(l: MeshLink, origin: number): string {
  switch (l.state) {
    case 'up':
      return l.resets > 0 ? 'came back' : l.upBeforeCapture ? 'up before the capture began' : '';
    case 'reset':
    case 'closed':
      return `down since ${rel(l.downAt, origin)}, never came back`;
    case 'missing':
      return l.failedAttempts > 0 ? `never established: ${plural(l.failedAttempts, 'attempt')} refused or unanswered` : 'no connection seen';
  }
}

/** Rows are nodes, columns the same nodes by number: U up, R reset, C closed, - missing. */
export function meshMatrix(m: MeshReport): string {
  const nodes = m.nodes.slice(0, MAX_MATRIX_NODES).map((n) => n.address);
  const state = new Map<string, LinkState>();
  for (const l of m.links) {
    state.set(`${l.a} ${l.b}`, l.state);
    state.set(`${l.b} ${l.a}`, l.state);
  }
  const w = String(nodes.length).length;
  const width = Math.max(...nodes.map((n) => n.length));
  const head = `  ${''.padEnd(width + w + 3)}${nodes.map((_, i) => String(i + 1).padStart(w)).join(' ')}`;
  const rows = nodes.map((a, i) => `  ${String(i + 1).padStart(w)}  ${a.padEnd(width)} ${nodes.map((b) => (a === b ? '·' : CELL[state.get(`${a} ${b}`) ?? 'missing']).padStart(w)).join(' ')}`);
  const more = m.nodes.length > nodes.length ? [`  (${m.nodes.length - nodes.length} more nodes in --json)`] : [];
  return [head, ...rows, ...more].join('\n');
}

function meshText(m: MeshReport, origin: number): string {
  const count = (s: LinkState): number => m.links.filter((l) => l.state === s).length;
  const out = [
    `Cluster mesh (ICCS, TCP ${m.port}: ${plural(m.nodes.length, 'node')}, ${m.expectedLinks} links in a full mesh; ` +
      `${count('up')} up, ${count('reset')} reset, ${count('closed')} closed, ${count('missing')} missing)`,
  ];
  if (m.nodes.length > 1) out.push(meshMatrix(m), '  (U up, R reset, C closed, - missing)');
  const notUp = m.links.filter((l) => l.state !== 'up' || l.resets > 0);
  const up = m.links.filter((l) => l.state === 'up' && l.resets === 0);
  const shownUp = up.slice(0, Math.max(0, MAX_UP_ROWS - notUp.length));
  out.push(table(['link', 'state', 'resets', 'bytes a>b/b>a', 'dscp a>b', 'dscp b>a', 'conns', 'note'], [...notUp, ...shownUp].map((l) => [
    `${l.a} - ${l.b}`, l.state === 'up' ? 'up' : l.state.toUpperCase(), resetText(l), bytesBoth(l.aToB, l.bToA),
    markingText(l.aToB.dscp), markingText(l.bToA.dscp), l.connections, linkNote(l, origin),
  ])));
  if (up.length > shownUp.length) out.push(`  ... ${up.length - shownUp.length} more links up (--json lists every link)`);
  if (m.nodesOverLimit > 0) {
    out.push(`  ${plural(m.nodesOverLimit, 'further node')} past the ${m.maxNodes}-node limit (${plural(m.connectionsOverLimit, 'connection')}) left out of the mesh; raise cluster.maxNodes in --config`);
  }
  if (m.events.length > 0) {
    const shown = m.events.slice(0, MAX_EVENT_ROWS);
    out.push('', `Mesh timeline (${plural(m.events.length + m.eventsDropped, 'event')})`);
    out.push(table(['time', 'event', 'link', 'what'], shown.map((e) => [rel(e.time, origin), e.type, `${e.a} - ${e.b}`, e.detail])));
    const more = m.events.length - shown.length + m.eventsDropped;
    if (more > 0) out.push(`  ... ${more} more events (see --json)`);
  }
  return out.join('\n');
}

function servicesText(m: MeshReport, origin: number): string {
  const out = [`Beside the mesh: CTI Manager and database replication (${plural(m.services.length, 'link')})`];
  out.push(table(['service', 'client', 'server', 'port', 'state', 'resets', 'bytes c>s/s>c', 'dscp c>s', 'dscp s>c', 'conns', 'note'], m.services.map((s) => [
    s.service, s.client, s.server, s.port, s.state === 'up' ? 'up' : s.state.toUpperCase(), s.resets, bytesBoth(s.toServer, s.toClient),
    markingText(s.toServer.dscp), markingText(s.toClient.dscp), s.connections,
    s.state === 'up' ? '' : s.state === 'missing' ? `never established (${plural(s.failedAttempts, 'attempt')})` : `down since ${rel(s.downAt, origin)}`,
  ])));
  if (m.servicesDropped > 0) out.push(`  ${plural(m.servicesDropped, 'further connection')} past the table's limit not listed`);
  return out.join('\n');
}

function failedText(h: HealthCheck): string {
  if (h.failed === 0) return '0';
  const how = [h.refused ? `${h.refused} refused` : '', h.unanswered ? `${h.unanswered} unanswered` : ''].filter(Boolean).join(', ');
  return `${h.failed} (${how})`;
}

function healthText(checks: HealthCheck[], limits: ClusterReport['healthCheckLimits'], origin: number): string {
  const failing = checks.filter((h) => h.failingSince !== null).length;
  const out = [
    `Health checks (TCP connect/close probes with no payload, ≥ ${limits.minProbes} from one source to one service; ` +
      `${plural(checks.length, 'checker-target pair')}${failing ? `, ${failing} FAILING at the end` : ''})`,
  ];
  out.push(table(['checker', 'target', 'port', 'probes', 'failed', 'every s', 'first failure', 'last failure', 'failing since', 'dscp'], checks.map((h) => [
    h.checker, h.target, h.port, h.probes, failedText(h), h.intervalS === null ? '-' : h.intervalS.toFixed(1),
    rel(h.firstFailure, origin), rel(h.lastFailure, origin), h.failingSince === null ? '-' : rel(h.failingSince, origin), markingText(h.dscp),
  ])));
  out.push('  (reported here, not as SIP; the DSCP audit leaves the probes to rules naming app health-check)');
  if (limits.groupsDropped > 0) out.push(`  ${plural(limits.groupsDropped, 'candidate source-service pair')} dropped to bound memory`);
  return out.join('\n');
}

/** The cluster sections, each only when the capture has something for it ('' when none has). */
export function clusterText(c: ClusterReport, origin: number): string {
  const out: string[] = [];
  if (c.mesh.nodes.length > 0) out.push(meshText(c.mesh, origin));
  if (c.mesh.services.length > 0) out.push(servicesText(c.mesh, origin));
  if (c.healthChecks.length > 0) out.push(healthText(c.healthChecks, c.healthCheckLimits, origin));
  const k = c.sipCrlfKeepalives;
  if (k.connections > 0) {
    out.push(`SIP CRLF keepalives (RFC 5626): ${plural(k.pings, 'ping')} ("\\r\\n\\r\\n"), ${plural(k.pongs, 'pong')} ("\\r\\n") on ${plural(k.connections, 'TCP connection')}; neither messages nor garbage`);
  }
  if (out.length > 0 && c.connectionsEvicted > 0) out.push(`  (${plural(c.connectionsEvicted, 'TCP connection')} left the flow table before they ended, to bound memory: counted as they stood)`);
  return out.map((s) => `${s}\n`).join('\n');
}
