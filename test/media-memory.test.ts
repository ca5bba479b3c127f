// What a media stream keeps for the length of a capture: the payload map it
// is bound to is its SDP's own, or one merge shared by every stream of the
// same codecs (not a 1.4 KB copy per stream), and the report's integer-keyed
// objects (DSCP counts, payload maps) are kept as dictionaries, their keys
// still in ascending order.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { sparseRecord } from '../src/common/sparse-record.js';
import { streamRtpmap, type Rtpmap } from '../src/media/codecs.js';

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
