// Cluster pane: the call-processing mesh in one line (nodes, links up of a
// full mesh), then what is wrong: links not up (reset, closed, never seen),
// load balancer health checks with failures, and the multicast groups with
// what does not fit (members sent nothing, streams nobody joined, marking).

import type { ClusterSection, MeshLinkRow, MulticastGroupRow } from '../live/view-model.js';
import type { LiveSnapshot } from '../live/view-model.js';
import type { HealthCheck } from '../cluster/health-checks.js';
import { clockMs } from '../common/time-format.js';
import { sanitize } from '../output/sanitize.js';
import { fitColumns, heading, headerSegs, row, rowSegs, widest, type Cell, type Column, type PaneLine } from './pane.js';
import type { PaneContent } from './pane.js';
import { plural } from '../output/words.js';

function linkLines(links: MeshLinkRow[], width: number): PaneLine[] {
  const group = 'links';
  const names = links.map((l) => `${sanitize(l.a)} - ${sanitize(l.b)}`);
  const cols: Column[] = [
    { title: 'link', min: 16, want: widest('link', names), whole: true },
    { title: 'state', min: 7 },
    { title: 'since', min: 12 },
    { title: 'resets', min: 6, align: 'right', drop: 1 },
  ];
  const fit = fitColumns(cols, width);
  const lines = [
    heading('links', [{ text: `mesh links not up (${links.length})`, bold: true }], group),
    heading('links:columns', headerSegs(fit.cols, fit.widths), group),
  ];
  links.forEach((l, i) => {
    const state: Cell = { text: l.state.toUpperCase(), ...(l.state === 'missing' ? { color: 'yellow' } : { color: 'red', bold: true }) };
    const segs = rowSegs(fit.cols, fit.widths, fit.pick<Cell>([names[i], state, l.since === null ? 'never up' : clockMs(l.since), String(l.resets)]));
    lines.push(row(`link:${l.a} ${l.b}`, segs, `${names[i]} ${l.state}`, group));
  });
  return lines;
}

function checkLines(checks: HealthCheck[], width: number): PaneLine[] {
  const group = 'checks';
  const names = checks.map((h) => `${sanitize(h.checker)} > ${sanitize(h.target)}:${h.port}`);
  const cols: Column[] = [
    { title: 'checker > target', min: 16, want: widest('checker > target', names), whole: true },
    { title: 'failed', min: 7, align: 'right' },
    { title: 'refused', min: 7, align: 'right', drop: 2 },
    { title: 'no answer', min: 9, align: 'right', drop: 1 },
    { title: 'since', min: 12 },
  ];
  const fit = fitColumns(cols, width);
  const lines = [
    heading('checks', [{ text: `health checks failing (${checks.length})`, bold: true }], group),
    heading('checks:columns', headerSegs(fit.cols, fit.widths), group),
  ];
  checks.forEach((h, i) => {
    const failed: Cell = { text: `${h.failed}/${h.probes}`, color: 'red', bold: h.failingSince !== null };
    const since = h.failingSince === null ? 'passing' : clockMs(h.failingSince);
    const segs = rowSegs(fit.cols, fit.widths, fit.pick<Cell>([names[i], failed, String(h.refused), String(h.unanswered), since]));
    lines.push(row(`check:${h.checker}>${h.target}:${h.port}`, segs, `${names[i]} ${since}`, group));
  });
  return lines;
}

/** What does not fit in a group, in words. */
export function groupFlags(g: MulticastGroupRow): string {
  const flags: string[] = [];
  if (g.silentMembers) flags.push(`${g.silentMembers} joined, sent nothing`);
  if (g.unjoinedStreams) flags.push(`${g.unjoinedStreams} nobody joined`);
  if (g.unmarkedStreams) flags.push(`${g.unmarkedStreams} not EF`);
  return flags.join(', ');
}

function groupLines(groups: MulticastGroupRow[], width: number): PaneLine[] {
  const group = 'multicast';
  const names = groups.map((g) => sanitize(g.group));
  const flags = groups.map(groupFlags);
  const cols: Column[] = [
    { title: 'group', min: 9, want: widest('group', names), whole: true },
    { title: 'members', min: 7, align: 'right' },
    { title: 'streams', min: 7, align: 'right' },
    { title: 'flags', min: 5, want: widest('flags', flags), max: Number.POSITIVE_INFINITY },
  ];
  const fit = fitColumns(cols, width);
  const lines = [
    heading('multicast', [{ text: `multicast groups (${groups.length})`, bold: true }], group),
    heading('multicast:columns', headerSegs(fit.cols, fit.widths), group),
  ];
  groups.forEach((g, i) => {
    const flag: Cell = flags[i] ? { text: flags[i], color: 'yellow' } : { text: 'ok', color: 'green' };
    const segs = rowSegs(fit.cols, fit.widths, fit.pick<Cell>([names[i], String(g.members), String(g.streams), flag]));
    lines.push(row(`group:${g.group}`, segs, `${names[i]} ${flag.text}`, group));
  });
  return lines;
}

export function clusterTitle(c: ClusterSection): string {
  const parts = [`${plural(c.nodes, 'node')}, ${c.linksUp}/${c.linksTotal} links up`];
  if (c.failingChecks.length) parts.push(`${plural(c.failingChecks.length, 'health check')} failing`);
  parts.push(plural(c.multicast.length, 'multicast group'));
  return `Cluster  ${parts.join(', ')}`;
}

export function clusterPane(snap: LiveSnapshot, width: number): PaneContent {
  const c = snap.cluster;
  const lines = [
    ...(c.linksNotUp.length ? linkLines(c.linksNotUp, width) : []),
    ...(c.failingChecks.length ? checkLines(c.failingChecks, width) : []),
    ...(c.multicast.length ? groupLines(c.multicast, width) : []),
  ];
  return { title: clusterTitle(c), columns: null, lines };
}
