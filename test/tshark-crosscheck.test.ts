// Every bundled capture and every capture in the shared corpus, frame by
// frame against tshark: frame count, DSCP of every IP header, UDP/TCP ports,
// SIP method, status code and Call-ID.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { basename } from 'node:path';
import { corpusCaptures, needsCorpus, decodeAll, hasTshark, tshark, tsharkReadableCaptures } from './helpers.js';
import type { PacketRecord } from '../dissectors/types.js';

const FIELDS = [
  'frame.number', 'frame.protocols', 'ip.dsfield.dscp', 'ipv6.tclass', 'udp.srcport', 'udp.dstport',
  'tcp.srcport', 'tcp.dstport', 'sip.Method', 'sip.Status-Code', 'sip.Call-ID', 'frame.cb_pen',
];

interface Row {
  /** pcapng custom blocks: tshark shows them as frames, they carry no packet. */
  custom: boolean;
  protocols: string;
  dscp: string;
  udp: string;
  tcp: string;
  method: string;
  status: string;
  callId: string;
}

function tsharkRows(file: string): Map<number, Row> {
  const lines = tshark(['-r', file, '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=a', '-E', 'aggregator=,', ...FIELDS.flatMap((f) => ['-e', f])]);
  const rows = new Map<number, Row>();
  for (const line of lines) {
    const c = line.split('\t');
    const v6 = c[3] ? c[3].split(',').map((x) => String(Number(x) >> 2)) : [];
    const v4 = c[2] ? c[2].split(',') : [];
    rows.set(Number(c[0]), {
      custom: Boolean(c[11]),
      protocols: c[1],
      // Order of v4/v6 headers within a frame: tshark lists each field separately; compare as multisets.
      dscp: [...v4, ...v6].sort().join(','),
      udp: c[4] ? `${c[4].split(',')[0]}>${c[5].split(',')[0]}` : '',
      tcp: c[6] ? `${c[6].split(',')[0]}>${c[7].split(',')[0]}` : '',
      method: c[8] ?? '',
      status: c[9] ?? '',
      callId: c[10] ?? '',
    });
  }
  return rows;
}

function ourRow(r: PacketRecord): Row {
  const ips = [...(r.outerIp ?? []), ...(r.ip ? [r.ip] : [])];
  const sip = r.sip ?? [];
  return {
    custom: false,
    protocols: '',
    dscp: ips.map((h) => String(h.dscp)).sort().join(','),
    udp: r.transport === 'udp' ? `${r.sport}>${r.dport}` : '',
    tcp: r.transport === 'tcp' ? `${r.sport}>${r.dport}` : '',
    method: sip.filter((m) => m.method !== undefined).map((m) => m.method).join(','),
    status: sip.filter((m) => m.status !== undefined).map((m) => String(m.status)).join(','),
    // tshark's field output stops a string at a NUL byte.
    callId: sip.map((m) => (m.callId ?? '').split('\0')[0]).filter((x) => x).join(','),
  };
}

const files = tsharkReadableCaptures();

for (const file of files) {
  test(`tshark agrees: ${basename(file)}`, { skip: !hasTshark && 'tshark not installed' }, async () => {
    const theirs = tsharkRows(file);
    const { records } = await decodeAll(file);
    const theirList = [...theirs.entries()].filter(([, r]) => !r.custom);
    assert.equal(records.length, theirList.length, 'frame count');
    let frame = 0;
    const mismatches: string[] = [];
    for (const rec of records) {
      const [num, t] = theirList[frame++];
      const o = ourRow(rec);
      // ICMP errors quote an inner IP/UDP header that tshark decodes and ucprobe does not.
      const icmp = /(^|:)icmp(v6)?(:|$)/.test(t.protocols);
      const checks: Array<[string, string, string]> = [
        ['dscp', o.dscp, icmp ? t.dscp.split(',').slice(0, o.dscp.split(',').length).join(',') : t.dscp],
        ['udp', icmp ? '' : o.udp, icmp ? '' : t.udp],
        ['tcp', icmp ? '' : o.tcp, icmp ? '' : t.tcp],
        ['sip.Method', o.method, t.method],
        ['sip.Status-Code', o.status, t.status],
        ['sip.Call-ID', o.callId, t.callId],
      ];
      for (const [name, ours, theirsV] of checks) {
        if (ours !== theirsV) mismatches.push(`frame ${num}: ${name} ucprobe=${JSON.stringify(ours)} tshark=${JSON.stringify(theirsV)} (${t.protocols})`);
      }
    }
    assert.deepEqual(mismatches.slice(0, 20), [], `${mismatches.length} mismatches`);
  });
}

test('corpus is present', { skip: needsCorpus }, () => {
  assert.ok(corpusCaptures().length >= 40);
});
