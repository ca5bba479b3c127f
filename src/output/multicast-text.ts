// The multicast part of the `analyze` text report: per group its members
// over time (from IGMP/MLD), the RTP streams sent to it and their marking,
// members that joined but were sent nothing and streams nobody joined for.
// Printed only when the capture has group membership or multicast RTP.

import type { MulticastGroup, MulticastReport } from '../cluster/multicast.js';
import { markingText } from './cluster-text.js';
import { table } from './table.js';
import { plural, signedOffset as rel } from './words.js';

const MAX_GROUPS = 100;
const MAX_CHANGES_SHOWN = 12;

function groupText(g: MulticastGroup, origin: number): string {
  const out = [`  ${g.group}: ${plural(g.members.length, 'member')} at the end${g.members.length ? ` (${g.members.join(', ')})` : ''}; ${plural(g.joins, 'join')}, ${plural(g.leaves, 'leave')}, ${plural(g.streams.length, 'stream')}`];
  if (g.membersOverTime.length) {
    const shown = g.membersOverTime.slice(0, MAX_CHANGES_SHOWN).map((c) => `${rel(c.time, origin)}:${c.members}`).join(' ');
    const more = g.membersOverTime.length - Math.min(g.membersOverTime.length, MAX_CHANGES_SHOWN) + g.changesDropped;
    out.push(`    members over time ${shown}${more > 0 ? ` ... ${more} more changes (--json)` : ''}`);
  }
  if (g.memberDetails.length) {
    out.push(table(['member', 'via', 'joined', 'left', 'sources', 'note'], g.memberDetails.map((m) => [
      m.address, m.protocol, rel(m.joinedAt, origin), rel(m.leftAt, origin), m.sources === null ? 'any' : m.sources.join(' ') || '-',
      m.receivedNothing ? 'JOINED, SENT NOTHING while a member' : '',
    ]), '    '));
  }
  if (g.streams.length) {
    out.push(table(['stream', 'ssrc', 'codec', 'packets', 'lost', 'dscp', 'note'], g.streams.map((s) => [
      s.flow, s.ssrc, s.codecs.join('/') || '-', s.packets, s.lost, markingText(s.dscp),
      [s.markedEf ? '' : 'NOT EF (paging media is EF)', s.nobodyJoined ? 'NOBODY JOINED while it was sent' : ''].filter(Boolean).join('; '),
    ]), '    '));
  }
  if (g.membersDropped) out.push(`    ${plural(g.membersDropped, 'further member')} past the table's limit not followed`);
  return out.join('\n');
}

export function multicastText(r: MulticastReport, origin: number): string {
  if (r.groups.length === 0 && r.reports === 0 && r.queries === 0) return '';
  const silent = r.groups.reduce((n, g) => n + g.silentMembers.length, 0);
  const orphan = r.groups.reduce((n, g) => n + g.streams.filter((s) => s.nobodyJoined).length, 0);
  const out = [
    `Multicast groups (${r.groups.length}; ${plural(r.reports, 'membership report')}, ${plural(r.queries, 'query')}${r.errors ? `, ${r.errors} malformed` : ''}; ` +
      `${plural(silent, 'member')} joined but sent nothing, ${plural(orphan, 'stream')} to a group nobody joined)`,
  ];
  for (const g of r.groups.slice(0, MAX_GROUPS)) out.push(groupText(g, origin));
  if (r.groups.length > MAX_GROUPS) out.push(`  ... ${r.groups.length - MAX_GROUPS} more groups (--json)`);
  if (r.groupsDropped) out.push(`  ${plural(r.groupsDropped, 'further group')} past the table's limit not followed`);
  return out.join('\n') + '\n';
}
