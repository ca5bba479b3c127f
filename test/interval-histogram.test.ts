// The interval histogram's figures against the definition: every value kept,
// binned to 12 significant bits, quantiles by rank over the sorted bins.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IntervalHistogram } from '../src/heartbeat/interval-histogram.js';

/** min/p50/p99/max as the histogram defines them, from every value kept. */
function reference(ms: number[]): { min: number; p50: number; p99: number; max: number } {
  const us = ms.map((v) => Math.min(0xffffffff, Math.max(0, Math.round(v * 1000))));
  const shift = (x: number): number => Math.max(0, 32 - Math.clz32(x) - 12);
  const bins = us.map((x) => ((x >>> shift(x)) << shift(x)) >>> 0).sort((a, b) => a - b);
  const min = Math.min(...us);
  const max = Math.max(...us);
  const at = (q: number): number => {
    const bin = bins[Math.ceil(q * bins.length) - 1];
    return Math.min(Math.max(bin + ((1 << shift(bin)) >>> 1), min), max) / 1000;
  };
  return { min: min / 1000, p50: at(0.5), p99: at(0.99), max: max / 1000 };
}

test('interval histogram: figures as the definition gives them, from a few bins to thousands (its table grows)', () => {
  let seed = 7;
  const random = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const shapes: Array<[string, () => number]> = [
    ['heartbeats at 100 ms with 1 ms of jitter', () => 100 + (random() - 0.5) * 2],
    ['response times from 0 to 32 s', () => random() * 32_000],
    ['zeros and huge values', () => (random() < 0.3 ? 0 : random() < 0.5 ? 5e6 * random() : random())],
  ];
  for (const [name, next] of shapes) {
    for (const n of [1, 2, 17, 1000, 20_000]) {
      const values = Array.from({ length: n }, next);
      const h = new IntervalHistogram();
      for (const v of values) h.add(v);
      assert.deepEqual(h.stats(), reference(values), `${name}, ${n} values`);
    }
  }
  assert.equal(new IntervalHistogram().stats(), null);
});
