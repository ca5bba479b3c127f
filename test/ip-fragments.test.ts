import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { IpFragmentReassembler } from '../src/reassembly/ip-fragments.js';

/** `n` bytes counting up from `from` (mod 256), so misplaced bytes show. */
function seqBytes(n: number, from = 0): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (from + i) & 255;
  return out;
}

const KEY = '4|10.0.0.1|10.0.0.2|17|4242';

test('two fragments in order', () => {
  const r = new IpFragmentReassembler();
  const whole = seqBytes(1500);
  assert.equal(r.add(KEY, 0, true, whole.subarray(0, 1480), 1), null);
  assert.equal(r.stats.pending, 1);
  assert.deepEqual(r.add(KEY, 1480, false, whole.subarray(1480), 1), whole);
  assert.deepEqual(r.stats, { reassembled: 1, timedOut: 0, evicted: 0, oversize: 0, malformed: 0, pending: 0 });
});

test('three fragments in order and in reverse order', () => {
  const whole = seqBytes(40);
  const r = new IpFragmentReassembler();
  assert.equal(r.add(KEY, 0, true, whole.subarray(0, 16), 0), null);
  assert.equal(r.add(KEY, 16, true, whole.subarray(16, 32), 0), null);
  assert.deepEqual(r.add(KEY, 32, false, whole.subarray(32), 0), whole);

  const rev = new IpFragmentReassembler();
  assert.equal(rev.add(KEY, 32, false, whole.subarray(32), 0), null);
  assert.equal(rev.add(KEY, 16, true, whole.subarray(16, 32), 0), null);
  assert.deepEqual(rev.add(KEY, 0, true, whole.subarray(0, 16), 0), whole);
  assert.equal(rev.stats.reassembled, 1);
  assert.equal(rev.stats.pending, 0);
});

test('duplicated fragments reassemble once, correctly', () => {
  const whole = seqBytes(24);
  const r = new IpFragmentReassembler();
  assert.equal(r.add(KEY, 0, true, whole.subarray(0, 8), 0), null);
  assert.equal(r.add(KEY, 0, true, whole.subarray(0, 8), 0), null);
  assert.equal(r.add(KEY, 16, false, whole.subarray(16), 0), null);
  assert.equal(r.add(KEY, 16, false, whole.subarray(16), 0), null);
  assert.deepEqual(r.add(KEY, 8, true, whole.subarray(8, 16), 0), whole);
  // A copy arriving after completion starts a new (never completed) datagram, not a second result.
  assert.equal(r.add(KEY, 8, true, whole.subarray(8, 16), 0), null);
  assert.equal(r.stats.reassembled, 1);
});

test('overlapping fragments: the first data wins and nothing is corrupted', () => {
  const r = new IpFragmentReassembler();
  const a = new Uint8Array(16).fill(0xaa); // 0..15
  const b = new Uint8Array(16).fill(0xbb); // 8..23, last
  assert.equal(r.add(KEY, 0, true, a, 0), null);
  const got = r.add(KEY, 8, false, b, 0);
  const want = new Uint8Array(24);
  want.fill(0xaa, 0, 16);
  want.fill(0xbb, 16, 24);
  assert.deepEqual(got, want);

  // A fragment spanning a hole and both neighbours fills only the hole.
  const s = new IpFragmentReassembler();
  s.add(KEY, 0, true, new Uint8Array(8).fill(1), 0);
  s.add(KEY, 16, false, new Uint8Array(8).fill(3), 0);
  const filled = s.add(KEY, 4, true, new Uint8Array(16).fill(2), 0);
  assert.deepEqual(filled, Uint8Array.from([1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3]));
});

test('an unfragmented datagram passes straight through as a copy', () => {
  const r = new IpFragmentReassembler();
  const src = seqBytes(10);
  const out = r.add(KEY, 0, false, src, 0);
  assert.deepEqual(out, src);
  src.fill(0);
  assert.deepEqual(out, seqBytes(10));
  assert.equal(r.stats.pending, 0);
});

test('fragments held from a reused caller buffer survive the buffer being overwritten', () => {
  const frame = Buffer.alloc(64);
  const r = new IpFragmentReassembler();
  frame.set(seqBytes(8, 100), 20);
  r.add(KEY, 8, false, frame.subarray(20, 28), 0);
  frame.fill(0xff);
  frame.set(seqBytes(8, 92), 20);
  const out = r.add(KEY, 0, true, frame.subarray(20, 28), 0);
  frame.fill(0xee);
  assert.deepEqual(out, seqBytes(16, 92));
  assert.equal(out instanceof Buffer, false);
});

test('timeout: expire() drops old datagrams at injected times, and a late fragment starts over', () => {
  const r = new IpFragmentReassembler({ timeoutSec: 30 });
  r.add('a', 0, true, seqBytes(8), 100);
  r.add('b', 0, true, seqBytes(8), 120);
  assert.equal(r.expire(129), 0);
  assert.equal(r.expire(131), 1); // 'a' is 31 s old
  assert.equal(r.stats.timedOut, 1);
  assert.equal(r.stats.pending, 1);
  // 'b' completes only with fragments inside its window.
  assert.equal(r.add('b', 8, false, seqBytes(8, 8), 151), null); // 31 s after its first
  assert.equal(r.stats.timedOut, 2);
  assert.equal(r.stats.pending, 1); // the late fragment waits on its own
  assert.equal(r.expire(Number.NaN), 0);
});

test('timeout: add() expires old datagrams by itself', () => {
  const r = new IpFragmentReassembler({ timeoutSec: 5 });
  for (let i = 0; i < 10; i++) r.add(`k${i}`, 0, true, seqBytes(8), i);
  assert.equal(r.stats.pending, 6); // k0..k3 are older than 5 s at t = 9
  assert.equal(r.stats.timedOut, 4);
  r.add('late', 0, true, seqBytes(8), 1000);
  assert.equal(r.stats.pending, 1);
  assert.equal(r.stats.timedOut, 10);
});

test('a fragment past the size cap drops the datagram and is counted', () => {
  const r = new IpFragmentReassembler({ maxBytesPerDatagram: 100 });
  assert.equal(r.add(KEY, 0, true, seqBytes(64), 0), null);
  assert.equal(r.heldBytes, 64);
  assert.equal(r.add(KEY, 96, false, seqBytes(8), 0), null); // ends at 104 > 100
  assert.equal(r.stats.oversize, 1);
  assert.equal(r.stats.pending, 0);
  assert.equal(r.heldBytes, 0);
  // An absurd offset is just another oversize fragment.
  assert.equal(r.add(KEY, 2 ** 40, true, seqBytes(8), 0), null);
  assert.equal(r.stats.oversize, 2);
  // The default cap takes a maximal IPv4 datagram (last offset 65528).
  const d = new IpFragmentReassembler();
  d.add(KEY, 0, true, seqBytes(65528), 0);
  assert.equal(d.add(KEY, 65528, false, seqBytes(7, 65528), 0)?.length, 65535);
});

test('maxDatagrams evicts the oldest datagram', () => {
  const r = new IpFragmentReassembler({ maxDatagrams: 3 });
  for (let i = 0; i < 5; i++) assert.equal(r.add(`k${i}`, 0, true, seqBytes(8), 0), null);
  assert.equal(r.stats.pending, 3);
  assert.equal(r.stats.evicted, 2);
  assert.equal(r.add('k0', 8, false, seqBytes(8, 8), 0), null); // k0 was evicted
  assert.deepEqual(r.add('k4', 8, false, seqBytes(8, 8), 0), seqBytes(16));
});

test('maxTotalBytes evicts the oldest datagrams to make room', () => {
  const r = new IpFragmentReassembler({ maxTotalBytes: 1000 });
  r.add('a', 0, true, seqBytes(600), 0); // costs 600 + overhead
  r.add('b', 0, true, seqBytes(600), 0);
  assert.equal(r.stats.evicted, 1); // 'a' had to go
  assert.equal(r.stats.pending, 1);
  assert.equal(r.heldBytes, 600);
  // A datagram that alone exceeds the budget is dropped, not kept.
  assert.equal(r.add('c', 0, true, seqBytes(2000), 0), null);
  assert.equal(r.stats.pending, 0);
  assert.equal(r.heldBytes, 0);
  assert.equal(r.stats.evicted, 3);
});

test('self-contradicting fragments are dropped, never thrown on', () => {
  const r = new IpFragmentReassembler();
  assert.equal(r.add(KEY, -8, true, seqBytes(8), 0), null);
  assert.equal(r.add(KEY, Number.NaN, true, seqBytes(8), 0), null);
  assert.equal(r.add(KEY, 1.5, true, seqBytes(8), 0), null);
  assert.equal(r.stats.malformed, 3);
  assert.equal(r.stats.pending, 0);
  // Two different ends.
  r.add(KEY, 16, false, seqBytes(8), 0);
  assert.equal(r.add(KEY, 32, false, seqBytes(8), 0), null);
  assert.equal(r.stats.malformed, 4);
  assert.equal(r.stats.pending, 0);
  // Data past a known end.
  r.add(KEY, 16, false, seqBytes(8), 0);
  assert.equal(r.add(KEY, 24, true, seqBytes(8), 0), null);
  assert.equal(r.stats.malformed, 5);
  // Zero-length pieces: a middle one carries nothing; a last one sets the length.
  assert.equal(r.add('z', 8, true, new Uint8Array(0), 0), null);
  assert.equal(r.stats.pending, 0);
  assert.equal(r.add('z', 8, false, new Uint8Array(0), 0), null);
  assert.deepEqual(r.add('z', 0, true, seqBytes(8), 0), seqBytes(8));
  // Bad options fall back to defaults.
  const d = new IpFragmentReassembler({ timeoutSec: -1, maxDatagrams: 0, maxBytesPerDatagram: Number.NaN });
  assert.equal(d.timeoutSec, 30);
  assert.equal(d.maxDatagrams, 1024);
  assert.equal(d.maxBytesPerDatagram, 65535 + 1024);
});

test('a flood of tiny fragments stays within the byte budget', () => {
  const r = new IpFragmentReassembler({ maxTotalBytes: 64 * 1024 });
  const one = new Uint8Array(1);
  for (let i = 0; i < 20_000; i++) r.add(`k${i % 50}`, (i * 2) % 60000, true, one, 0);
  // Each piece also costs its overhead, so far fewer than 20 000 bytes' worth of pieces are kept.
  assert.ok(r.heldBytes * 65 <= 64 * 1024, `held ${r.heldBytes}`);
  assert.ok(r.stats.evicted + r.stats.oversize > 0);
});

test('property: fragments in any order, some twice, some overlapping, rebuild the datagram', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 1, maxLength: 4000 }),
      fc.array(fc.nat(), { maxLength: 30 }),
      fc.array(fc.tuple(fc.nat(), fc.nat({ max: 600 })), { maxLength: 4 }),
      fc.infiniteStream(fc.boolean()),
      fc.nat(),
      (data, cuts, overlaps, coin, seed) => {
        const n = data.length;
        const points = [...new Set([0, n, ...cuts.map((c) => c % (n + 1))])].sort((x, y) => x - y);
        const frags: Array<[number, number]> = [];
        for (let i = 0; i + 1 < points.length; i++) frags.push([points[i], points[i + 1]]);
        for (const [s, l] of overlaps) {
          const start = s % n;
          const end = Math.min(n, start + l + 1);
          if (end < n) frags.push([start, end]); // only the real last fragment clears MF
        }
        // Deterministic shuffle from the seed.
        let x = seed | 1;
        for (let i = frags.length - 1; i > 0; i--) {
          x = (Math.imul(x, 1103515245) + 12345) >>> 0;
          const j = x % (i + 1);
          [frags[i], frags[j]] = [frags[j], frags[i]];
        }
        const coins = coin[Symbol.iterator]();
        const r = new IpFragmentReassembler();
        const results: Uint8Array[] = [];
        const send = (s: number, e: number): void => {
          const scratch = data.slice(s, e);
          const out = r.add('k', s, e < n, scratch, 0);
          scratch.fill(0xee);
          if (out !== null) results.push(out);
        };
        for (const [s, e] of frags) {
          send(s, e);
          if (coins.next().value === true && results.length === 0) send(s, e);
        }
        assert.equal(results.length, 1);
        assert.deepEqual(results[0], data);
      },
    ),
    { numRuns: 300 },
  );
});
