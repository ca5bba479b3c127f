// The cluster part of the HTML report: the ICCS mesh drawn as a node-by-node
// matrix (each cell a link, broken ones marked and explained on hover), the
// links that are not up, the CTI and database links beside the mesh, and the
// load balancer health checks, and the multicast groups (members, joins and
// leaves, the streams sent to each and what does not fit). Absent when the
// capture has none of these.

import type { FileReport } from '../analysis/analyze.js';
import type { LinkState, MeshLink, MeshReport } from '../cluster/mesh.js';
import type { HealthCheck } from '../cluster/health-checks.js';
import type { MulticastReport } from '../cluster/multicast.js';
import { markingText } from '../output/cluster-text.js';
import { el, join, text, type Markup } from './svg.js';
import type { TimelineLane } from './timeline.js';

/** Nodes drawn in the matrix (a cluster has at most 8 call-processing nodes); the JSON has all. */
const MAX_MATRIX_NODES = 64;

const SYMBOL: Readonly<Record<LinkState, string>> = { up: '✓', reset: '✕', closed: 'C', missing: '–' };

function linkTitle(l: MeshLink, at: (t: number) => string): string {
  const parts = [`${l.a} – ${l.b}: ${l.state}`];
  if (l.downAt !== null) parts.push(`down since ${at(l.downAt)}`);
  if (l.resets) parts.push(`${l.resets} reset(s): ${l.resetsByA} by ${l.a}, ${l.resetsByB} by ${l.b}`);
  if (l.state === 'missing') parts.push(l.failedAttempts ? `${l.failedAttempts} attempt(s) refused or unanswered` : 'no connection seen');
  parts.push(`bytes ${l.aToB.bytes}/${l.bToA.bytes}, DSCP ${markingText(l.aToB.dscp)} / ${markingText(l.bToA.dscp)}`);
  return parts.join('; ');
}

function matrix(m: MeshReport, at: (t: number) => string): Markup {
  const nodes = m.nodes.slice(0, MAX_MATRIX_NODES).map((n) => n.address);
  const byPair = new Map<string, MeshLink>();
  for (const l of m.links) {
    byPair.set(`${l.a} ${l.b}`, l);
    byPair.set(`${l.b} ${l.a}`, l);
  }
  const head = el('tr', {}, [el('th', {}, text('')), ...nodes.map((_, i) => el('th', { class: 'num' }, text(i + 1)))]);
  const rows = nodes.map((a, i) => el('tr', {}, [
    el('th', { class: 'mono nowrap' }, text(`${i + 1}  ${a}`)),
    ...nodes.map((b) => {
      if (a === b) return el('td', { class: 'mesh-self' }, text(''));
      const l = byPair.get(`${a} ${b}`);
      const state: LinkState = l?.state ?? 'missing';
      return el('td', { class: `mesh-cell mesh-${state}`, title: l ? linkTitle(l, at) : `${a} – ${b}: missing` }, text(SYMBOL[state]));
    }),
  ]));
  return el('div', { class: 'table-wrap' }, el('table', { class: 'mesh-matrix', 'aria-label': 'ICCS mesh: one cell per link' }, [el('thead', {}, head), el('tbody', {}, rows)]));
}

function simpleTable(cols: string[], rows: Array<Array<string | number>>): Markup {
  return el('div', { class: 'table-wrap' }, el('table', {}, [
    el('thead', {}, el('tr', {}, cols.map((c) => el('th', {}, text(c))))),
    el('tbody', {}, rows.map((r) => el('tr', {}, r.map((c) => el('td', { class: typeof c === 'number' ? 'num' : undefined }, text(c)))))),
  ]));
}

function meshPart(m: MeshReport, at: (t: number) => string): Markup[] {
  const count = (s: LinkState): number => m.links.filter((l) => l.state === s).length;
  const out: Markup[] = [
    el('h4', {}, text(`ICCS mesh, TCP ${m.port}: ${m.nodes.length} nodes, ${m.expectedLinks} links — ${count('up')} up, ${count('reset')} reset, ${count('closed')} closed, ${count('missing')} missing`)),
    matrix(m, at),
    el('p', { class: 'legend' }, text('✓ up   ✕ reset and not back   C closed   – never established (hover a cell for its story)')),
  ];
  if (m.nodes.length > MAX_MATRIX_NODES || m.nodesOverLimit > 0) {
    out.push(el('p', { class: 'warn' }, text(`Bounded: ${m.nodes.length > MAX_MATRIX_NODES ? `${m.nodes.length - MAX_MATRIX_NODES} nodes not drawn; ` : ''}${m.nodesOverLimit} nodes past the ${m.maxNodes}-node limit left out (${m.connectionsOverLimit} connections).`)));
  }
  const broken = m.links.filter((l) => l.state !== 'up' || l.resets > 0);
  if (broken.length) {
    out.push(simpleTable(['link', 'state', 'resets (a/b)', 'down since', 'bytes a>b/b>a', 'DSCP a>b', 'DSCP b>a'], broken.map((l) => [
      `${l.a} – ${l.b}`, l.state, `${l.resets} (${l.resetsByA}/${l.resetsByB})`, l.downAt === null ? '-' : at(l.downAt), `${l.aToB.bytes}/${l.bToA.bytes}`,
      markingText(l.aToB.dscp), markingText(l.bToA.dscp),
    ])));
  }
  if (m.events.length) {
    out.push(simpleTable(['time', 'event', 'link', 'what'], m.events.map((e) => [at(e.time), e.type, `${e.a} – ${e.b}`, e.detail])));
  }
  return out;
}

function servicesPart(m: MeshReport, at: (t: number) => string): Markup[] {
  return [
    el('h4', {}, text(`Beside the mesh: CTI Manager and database replication (${m.services.length})`)),
    simpleTable(['service', 'client', 'server', 'port', 'state', 'down since', 'bytes c>s/s>c', 'DSCP c>s', 'DSCP s>c'], m.services.map((s) => [
      s.service, s.client, s.server, s.port, s.state, s.downAt === null ? '-' : at(s.downAt), `${s.toServer.bytes}/${s.toClient.bytes}`,
      markingText(s.toServer.dscp), markingText(s.toClient.dscp),
    ])),
  ];
}

function healthPart(checks: HealthCheck[], at: (t: number) => string): Markup[] {
  return [
    el('h4', {}, text(`Load balancer health checks (${checks.length})`)),
    simpleTable(['checker', 'target', 'port', 'probes', 'failed', 'every s', 'first failure', 'last failure', 'failing since', 'DSCP'], checks.map((c) => [
      c.checker, c.target, c.port, c.probes, c.failed, c.intervalS === null ? '-' : c.intervalS.toFixed(1),
      c.firstFailure === null ? '-' : at(c.firstFailure), c.lastFailure === null ? '-' : at(c.lastFailure), c.failingSince === null ? '-' : at(c.failingSince), markingText(c.dscp),
    ])),
  ];
}

/** Groups listed; the JSON has all. */
const MAX_GROUPS = 100;

function multicastPart(r: MulticastReport, at: (t: number) => string): Markup[] {
  const groups = r.groups.slice(0, MAX_GROUPS);
  const silent = r.groups.reduce((n, g) => n + g.silentMembers.length, 0);
  const orphan = r.groups.reduce((n, g) => n + g.streams.filter((x) => x.nobodyJoined).length, 0);
  const out: Markup[] = [
    el('h4', {}, text(`Multicast groups (${r.groups.length}): ${r.reports} membership reports, ${r.queries} queries${r.errors ? `, ${r.errors} malformed` : ''}; `
      + `${silent} member(s) joined, sent nothing; ${orphan} stream(s) nobody joined`)),
    simpleTable(['group', 'members at the end', 'joins', 'leaves', 'streams', 'flags'], groups.map((g) => [
      g.group, g.members.join(', ') || '-', g.joins, g.leaves, g.streams.length,
      [g.silentMembers.length ? `joined, sent nothing: ${g.silentMembers.join(', ')}` : '', g.streams.some((x) => x.nobodyJoined) ? 'nobody joined a stream sent to it' : '']
        .filter(Boolean).join('; ') || '-',
    ])),
  ];
  const streams = groups.flatMap((g) => g.streams.map((x) => ({ g, x })));
  if (streams.length) {
    out.push(simpleTable(['group', 'stream', 'SSRC', 'codec', 'packets', 'lost', 'first', 'DSCP', 'flags'], streams.map(({ g, x }) => [
      g.group, x.flow, x.ssrc, x.codecs.join('/') || '-', x.packets, x.lost, at(x.first), markingText(x.dscp),
      [x.markedEf ? '' : 'not EF (paging media is EF)', x.nobodyJoined ? 'nobody joined' : ''].filter(Boolean).join('; ') || '-',
    ])));
  }
  const bounded = [
    r.groups.length > MAX_GROUPS ? `${r.groups.length - MAX_GROUPS} groups not listed (in the JSON)` : '',
    r.groupsDropped ? `${r.groupsDropped} groups past the table's limit not followed` : '',
    ...groups.filter((g) => g.membersDropped).map((g) => `${g.group}: ${g.membersDropped} members past the table's limit not followed`),
  ].filter(Boolean);
  if (bounded.length) out.push(el('p', { class: 'warn' }, text(`Bounded: ${bounded.join('; ')}.`)));
  return out;
}

/** The section, or null when the capture has no mesh, service link or health check. `at` formats a time. */
export function clusterSection(r: FileReport, id: string, at: (t: number) => string): Markup | null {
  const c = r.cluster;
  const groups = r.multicast.groups.length > 0;
  if (c.mesh.nodes.length === 0 && c.mesh.services.length === 0 && c.healthChecks.length === 0 && !groups) return null;
  const out: Markup[] = [el('h3', { id }, text('Cluster'))];
  if (c.mesh.nodes.length > 0) out.push(...meshPart(c.mesh, at));
  if (c.mesh.services.length > 0) out.push(...servicesPart(c.mesh, at));
  if (c.healthChecks.length > 0) out.push(...healthPart(c.healthChecks, at));
  if (groups) out.push(...multicastPart(r.multicast, at));
  return join(out);
}

/** Mesh links given a lane on the event timeline. */
const MAX_MESH_LANES = 8;

/**
 * A timeline lane per mesh link that went down: the time it was down as a
 * span, the reset or close as a mark, its return as a dot.
 */
export function meshTimelineLanes(m: MeshReport, end: number): TimelineLane[] {
  const byLink = new Map<string, TimelineLane>();
  for (const e of m.events) {
    const key = `${e.a} – ${e.b}`;
    let lane = byLink.get(key);
    if (lane === undefined) {
      if (byLink.size >= MAX_MESH_LANES) continue;
      lane = { label: `mesh ${key}`, marks: { losses: [], failovers: [], resets: [], restarts: [], recoveries: [] } };
      byLink.set(key, lane);
    }
    const detail = `${e.type} ${key}: ${e.detail}`;
    if (e.type === 'mesh-link-down') {
      lane.marks.resets.push({ time: e.time, label: 'down', detail });
      lane.marks.losses.push({ from: e.time, to: end, label: 'down', detail: `${key} down` });
    } else {
      lane.marks.recoveries.push({ time: e.time, label: 'up', detail });
      const open = lane.marks.losses[lane.marks.losses.length - 1];
      if (open !== undefined) open.to = e.time;
    }
  }
  return [...byLink.values()];
}

export const CLUSTER_CSS = `
table.mesh-matrix { width: auto; }
table.mesh-matrix td, table.mesh-matrix th { text-align: center; padding: 3px 7px; }
table.mesh-matrix th.mono { text-align: left; }
table.mesh-matrix td.mesh-up { color: var(--ok); background: var(--ok-soft); }
table.mesh-matrix td.mesh-reset { color: var(--bad); background: var(--bad-soft); font-weight: 700; }
table.mesh-matrix td.mesh-closed { color: var(--warn); background: var(--warn-soft); font-weight: 700; }
table.mesh-matrix td.mesh-missing { color: var(--bad); background: repeating-linear-gradient(45deg, var(--bad-soft), var(--bad-soft) 4px, var(--paper) 4px, var(--paper) 8px); font-weight: 700; }
table.mesh-matrix td.mesh-self { background: var(--soft); }
`;
