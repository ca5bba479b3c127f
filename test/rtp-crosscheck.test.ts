// RTP against tshark with its RTP heuristic on (`--enable-heuristic rtp_udp`),
// on every bundled and corpus capture: every frame ucprobe calls RTP is RTP to
// tshark with the same payload type, sequence number and SSRC; and every
// frame tshark finds on an even port of 16384-32767 with a payload type of
// 0-34 or 96-127 is RTP to ucprobe too (RTP elsewhere needs SDP to be found,
// by design: random UDP looks like RTP to a port-free heuristic).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { basename } from 'node:path';
import { corpusCaptures, decodeAll, needsCorpus, hasTshark, tshark, tsharkReadableCaptures } from './helpers.js';
import { isRtpHeuristicPort } from '../dissectors/rtp.js';

const files = tsharkReadableCaptures();

interface TsharkRtp {
  pt: number;
  seq: number;
  ssrc: number;
  sport: number;
  dport: number;
  /** Inside an ICMP error: a quoted header ucprobe does not decode. */
  icmp: boolean;
}

/**
 * Frames tshark knows are T.38 because an H.248 (MEGACO) SDP moved the call's
 * media port to udptl: ucprobe reads SDP from SIP only, so that port is still
 * the RTP one SIP announced.
 */
function t38Frames(file: string): Set<number> {
  return new Set(tshark(['-r', file, '-Y', 't38', '-T', 'fields', '-e', 'frame.number']).map(Number));
}

function tsharkRtp(file: string): Map<number, TsharkRtp> {
  const rows = tshark(['-r', file, '--enable-heuristic', 'rtp_udp', '-Y', 'rtp', '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=f',
    '-e', 'frame.number', '-e', 'rtp.p_type', '-e', 'rtp.seq', '-e', 'rtp.ssrc', '-e', 'udp.srcport', '-e', 'udp.dstport', '-e', 'frame.protocols']);
  const out = new Map<number, TsharkRtp>();
  for (const line of rows) {
    const c = line.split('\t');
    out.set(Number(c[0]), { pt: Number(c[1]), seq: Number(c[2]), ssrc: Number(c[3]), sport: Number(c[4]), dport: Number(c[5]), icmp: /:icmp(v6)?:/.test(c[6]) });
  }
  return out;
}

let heuristicFrames = 0;
for (const file of files) {
  test(`RTP agrees with tshark's heuristic: ${basename(file)}`, { skip: !hasTshark && 'tshark not installed' }, async () => {
    const theirs = tsharkRtp(file);
    const { records } = await decodeAll(file);
    const problems: string[] = [];
    const ours = new Set<number>();
    const t38 = t38Frames(file);
    for (const r of records) {
      if (r.app !== 'rtp') continue;
      ours.add(r.frame);
      const t = theirs.get(r.frame);
      if (!t && !t38.has(r.frame)) problems.push(`frame ${r.frame}: RTP to ucprobe only (${r.sport}>${r.dport})`);
      else if (t && (t.pt !== r.rtp!.payloadType || t.seq !== r.rtp!.seq || t.ssrc !== r.rtp!.ssrc)) {
        problems.push(`frame ${r.frame}: pt/seq/ssrc ucprobe ${r.rtp!.payloadType}/${r.rtp!.seq}/${r.rtp!.ssrc} tshark ${t.pt}/${t.seq}/${t.ssrc}`);
      }
      if (isRtpHeuristicPort(r.sport) || isRtpHeuristicPort(r.dport)) heuristicFrames++;
    }
    for (const [frame, t] of theirs) {
      const inRange = isRtpHeuristicPort(t.sport) || isRtpHeuristicPort(t.dport);
      const sanePt = t.pt <= 34 || t.pt >= 96;
      if (inRange && sanePt && !t.icmp && !ours.has(frame)) problems.push(`frame ${frame}: RTP to tshark only (${t.sport}>${t.dport} pt ${t.pt})`);
    }
    assert.deepEqual(problems.slice(0, 20), [], `${problems.length} disagreements`);
  });
}

test('the heuristic found RTP in the corpus', { skip: needsCorpus || (!hasTshark && 'tshark not installed') }, () => {
  assert.ok(heuristicFrames > 1000, `${heuristicFrames} RTP frames on heuristic ports`);
});
