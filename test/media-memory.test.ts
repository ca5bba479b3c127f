// What a media stream keeps for the length of a capture: the payload map it
// is bound to is its SDP's own, or one merge shared by every stream of the
// same codecs (not a 1.4 KB copy per stream), and the report's integer-keyed
// objects (DSCP counts, payload maps) are kept as dictionaries, their keys
// still in ascending order. The one bound of a stream's state that drops
// something (the missing numbers it remembers) says how much it dropped.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { sparseRecord } from '../src/common/sparse-record.js';
import { streamRtpmap, type Rtpmap } from '../src/media/codecs.js';
import { analyzeFile } from '../src/analysis/analyze.js';
import { analysisText } from '../src/output/analysis-text.js';
import { drop, plan, range, writeMediaCapture } from './media-fixtures.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Heap bytes each of `n` objects made by `make` keeps. */
function retainedEach(n: number, make: (i: number) => object): number {
  gc();
  const before = process.memoryUsage().heapUsed;
  const kept: object[] = [];
  for (let i = 0; i < n; i++) kept.push(make(i));
  gc();
  const per = (process.memoryUsage().heapUsed - before) / n;
  assert.equal(kept.length, n);
  return per;
}

test('sparseRecord: integer keys in ascending order, a few hundred bytes where a plain object took 1.4 KB', () => {
  const r = sparseRecord<number, string>();
  r[101] = 'telephone-event/8000';
  r[0] = 'PCMU/8000';
  r[8] = 'PCMA/8000';
  assert.deepEqual(Object.keys(r), ['0', '8', '101']);
  assert.equal(JSON.stringify(r), '{"0":"PCMU/8000","8":"PCMA/8000","101":"telephone-event/8000"}');
  assert.deepEqual(r, { 0: 'PCMU/8000', 8: 'PCMA/8000', 101: 'telephone-event/8000' });
  const plain = retainedEach(5000, (i) => ({ 0: 'PCMU/8000', [101]: `e${i & 7}` }));
  const sparse = retainedEach(5000, (i) => {
    const o = sparseRecord<number, string>();
    o[0] = 'PCMU/8000';
    o[101] = `e${i & 7}`;
    return o;
  });
  assert.ok(plain > 1000, `a plain object with key 101 kept ${plain} B`);
  assert.ok(sparse < 400, `a sparse record kept ${sparse} B`);
});

const map = (entries: Record<number, string>): Rtpmap => Object.assign(sparseRecord<number, string>(), entries);

test('streamRtpmap: the receiver\'s map with the sender\'s filling the gaps, as {...sender, ...receiver}', () => {
  const offer = map({ 0: 'PCMU/8000', 8: 'PCMA/8000', 101: 'telephone-event/8000' });
  const answer = map({ 0: 'PCMU/8000', 101: 'telephone-event/8000' });
  const other = map({ 0: 'PCMU/8000', 96: 'opus/48000/2' });
  assert.equal(streamRtpmap(null, null), null);
  assert.equal(streamRtpmap(offer, null), offer);
  assert.equal(streamRtpmap(null, answer), answer);
  // The receiver's names every payload type the sender's does: it is the stream's map as it is.
  assert.equal(streamRtpmap(answer, offer), offer);
  // The sender's says more: a merge, the receiver's names winning.
  const merged = streamRtpmap(offer, answer)!;
  assert.deepEqual({ ...merged }, { ...offer, ...answer });
  assert.deepEqual(Object.keys(merged), ['0', '8', '101']);
  const renamed = map({ 0: 'PCMU/8000', 101: 'telephone-event/16000' });
  assert.deepEqual({ ...streamRtpmap(offer, renamed)! }, { 0: 'PCMU/8000', 8: 'PCMA/8000', 101: 'telephone-event/16000' });
  assert.deepEqual({ ...streamRtpmap(other, answer)! }, { 0: 'PCMU/8000', 96: 'opus/48000/2', 101: 'telephone-event/8000' });
  // Another call announcing the same codecs: the same merge, not another copy.
  const offer2 = map({ 0: 'PCMU/8000', 8: 'PCMA/8000', 101: 'telephone-event/8000' });
  const answer2 = map({ 0: 'PCMU/8000', 101: 'telephone-event/8000' });
  assert.equal(streamRtpmap(offer2, answer2), merged);
});

test('holes past the 1024 a stream remembers: forgotten, counted in the totals and said in the text', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'ucprobe-holes-')), 'holes.pcap');
  // One gap of 1500 (1024 remembered, 476 forgotten at once); 1100 gaps of one (the oldest 76 forgotten one by one).
  const wide = drop(plan({ count: 3000, ssrc: 0x0a0a0a0a }), range(100, 1500));
  const sparse = drop(plan({ count: 3000, ssrc: 0x0b0b0b0b }), range(0, 1100).map((k) => 1 + 2 * k));
  writeMediaCapture(path, [
    { src: '10.70.0.1', dst: '10.70.0.2', sport: 20000, dport: 30000, packets: wide },
    { src: '10.70.0.3', dst: '10.70.0.4', sport: 20002, dport: 30002, packets: sparse },
  ]);
  const r = await analyzeFile(path);
  assert.deepEqual(r.rtp.streams.map((s) => s.lost), [1500, 1100]);
  assert.equal(r.rtp.totals.holesForgotten, 476 + 76);
  assert.match(analysisText(r), /552 missing sequence numbers forgotten past the 1024 a stream remembers/);
});
