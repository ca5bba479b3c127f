// The flow cache the fast lane's consumers find their state by: never an
// answer for another flow, and two flows that share a set both stay.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ipv4FlowCache } from '../src/pipeline/ipv4-flow-cache.js';
import { Rng } from '../src/generator/rng.js';

type Flow = [proto: number, src: number, dst: number, sport: number, dport: number];

function randomFlow(rnd: Rng): Flow {
  // Addresses as int32 (10.x and 192.x: positive and negative), ports on both sides of 32768.
  return [rnd.float() < 0.5 ? 17 : 6, (0x0a000000 | rnd.int(0, 0xffff)) | 0, (0xc0a80000 | rnd.int(0, 0xffff)) | 0, rnd.int(1, 65535), rnd.int(1, 65535)];
}

test('a flow cached just before one other flow is still there, whatever set the two share', () => {
  const rnd = new Rng(11);
  const cache = new Ipv4FlowCache<number>();
  // 200,000 pairs over 8192 sets: some 24 share a set, where a cache of one flow per set lost the first.
  for (let n = 0; n < 200_000; n++) {
    cache.clear();
    const a = randomFlow(rnd);
    const b = randomFlow(rnd);
    cache.set(...a, 1);
    cache.set(...b, 2);
    assert.equal(cache.get(...a), 1);
    assert.equal(cache.get(...b), 2);
  }
});

test('many flows: a hit is always the value last set for that flow, and clear() forgets them all', () => {
  const rnd = new Rng(12);
  const pool = Array.from({ length: 40_000 }, () => randomFlow(rnd));
  const last = new Map<number, number>();
  const cache = new Ipv4FlowCache<number>();
  let hits = 0;
  for (let step = 0; step < 400_000; step++) {
    const k = rnd.int(0, pool.length - 1);
    const got = cache.get(...pool[k]);
    if (got !== undefined) {
      hits++;
      assert.equal(got, last.get(k));
    } else {
      cache.set(...pool[k], step);
      last.set(k, step);
    }
  }
  assert.ok(hits > 0);
  cache.clear();
  assert.equal(pool.filter((f) => cache.get(...f) !== undefined).length, 0);
});
