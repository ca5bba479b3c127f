// Fifo: the ring queue the SIP transaction tracker keeps its requests in.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Fifo } from '../src/common/fifo.js';

test('fifo: first in, first out across the ring growing while it wraps', () => {
  const q = new Fifo<number>();
  const want: number[] = [];
  let next = 0;
  // Push 3, take 2, so the head walks round the ring while it doubles (16 -> 256 slots).
  for (let round = 0; round < 100; round++) {
    for (let k = 0; k < 3; k++) {
      q.push(next);
      want.push(next++);
    }
    for (let k = 0; k < 2; k++) assert.equal(q.shift(), want.shift());
  }
  assert.equal(q.length, 100);
  assert.equal(q.peek(), want[0]);
  assert.deepEqual([...q], want);
  while (q.length > 0) assert.equal(q.shift(), want.shift());
  assert.equal(q.shift(), undefined);
  assert.equal(q.peek(), undefined);
});

test('fifo: retain keeps the accepted entries in order', () => {
  const q = new Fifo<number>();
  for (let i = 0; i < 40; i++) q.push(i);
  for (let i = 0; i < 10; i++) q.shift();
  q.retain((x) => x % 3 === 0);
  assert.deepEqual([...q], [12, 15, 18, 21, 24, 27, 30, 33, 36, 39]);
  q.push(40);
  assert.equal(q.shift(), 12);
  assert.equal(q.length, 10);
  q.clear();
  assert.equal(q.length, 0);
  assert.deepEqual([...q], []);
});
