import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TcpDirectionReassembler, TcpReassembler, type TcpDelivery } from '../src/reassembly/tcp-stream.js';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN } from '../dissectors/types.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const b = (s: string): Uint8Array => enc.encode(s);
const EMPTY = new Uint8Array(0);

/** The delivered bytes of one call, as text. */
function text(d: TcpDelivery): string {
  return d.chunks.map((c) => dec.decode(c)).join('');
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const c of chunks) n += c.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

test('in-order data is delivered at once and SYN takes one sequence number', () => {
  const r = new TcpDirectionReassembler();
  const syn = r.segment(1000, TCP_SYN, EMPTY);
  assert.deepEqual(syn, { chunks: [], gapBytes: 0, retransmittedBytes: 0 });
  assert.equal(r.expectedSeq, 1001);
  assert.equal(r.synSeq, 1000);
  assert.equal(text(r.segment(1001, TCP_ACK | TCP_PSH, b('hello'))), 'hello');
  assert.equal(text(r.segment(1006, TCP_ACK, b(' world'))), ' world');
  assert.equal(r.expectedSeq, 1012);
  assert.equal(r.stats.deliveredBytes, 11);
});

test('a capture that starts mid-stream takes the first segment as the start', () => {
  const r = new TcpDirectionReassembler();
  assert.equal(text(r.segment(5_000_000, TCP_ACK, b('INVITE'))), 'INVITE');
  assert.equal(r.synSeq, null);
  assert.equal(r.expectedSeq, 5_000_006);
});

test('out-of-order segments are held, then delivered in order', () => {
  const r = new TcpDirectionReassembler();
  r.segment(0, TCP_SYN, EMPTY);
  const a = r.segment(11, TCP_ACK, b('third'));
  const c = r.segment(6, TCP_ACK, b('second'.slice(0, 5)));
  assert.deepEqual(a.chunks, []);
  assert.deepEqual(c.chunks, []);
  assert.equal(r.heldBytes, 10);
  assert.equal(r.heldSegments, 2);
  const d = r.segment(1, TCP_ACK, b('first'));
  assert.deepEqual(d.chunks.map((x) => dec.decode(x)), ['first', 'secon', 'third']);
  assert.equal(d.gapBytes, 0);
  assert.equal(r.heldBytes, 0);
  assert.equal(r.expectedSeq, 16);
});

test('a retransmission is dropped and counted', () => {
  const r = new TcpDirectionReassembler();
  r.segment(100, TCP_SYN, EMPTY);
  r.segment(101, TCP_ACK, b('hello'));
  const again = r.segment(101, TCP_ACK, b('hello'));
  assert.deepEqual(again.chunks, []);
  assert.equal(again.retransmittedBytes, 5);
  // A duplicate of a held (out-of-order) segment counts too, and is not delivered twice.
  r.segment(110, TCP_ACK, b('xyz'));
  const dupHeld = r.segment(110, TCP_ACK, b('xyz'));
  assert.equal(dupHeld.retransmittedBytes, 3);
  assert.equal(r.heldBytes, 3);
  assert.equal(text(r.segment(106, TCP_ACK, b('abcd'))), 'abcdxyz');
  assert.equal(r.stats.retransmittedBytes, 8);
});

test('a partial overlap delivers only the new bytes', () => {
  const r = new TcpDirectionReassembler();
  r.segment(0, TCP_SYN, EMPTY);
  r.segment(1, TCP_ACK, b('hello')); // 1..5
  const d = r.segment(4, TCP_ACK, b('lo wor')); // 4..9, 4..5 already delivered
  assert.equal(text(d), ' wor');
  assert.equal(d.retransmittedBytes, 2);
  // Overlap with held data: held 'RLD!' at 12..15; 'ld!?' at 13..16 adds only '?'.
  r.segment(12, TCP_ACK, b('RLD!'));
  const o = r.segment(13, TCP_ACK, b('ld!?'));
  assert.equal(o.retransmittedBytes, 3);
  assert.equal(r.heldBytes, 5);
  // An in-order segment running into held data: the held copy of the overlap is the duplicate.
  const f = r.segment(10, TCP_ACK, b('ldRL'));
  assert.equal(text(f), 'ldRLD!?');
  assert.equal(f.retransmittedBytes, 2);
  assert.equal(r.expectedSeq, 17);
});

test('sequence numbers wrap around 2^32', () => {
  const r = new TcpDirectionReassembler();
  r.segment(0xfffffffd, TCP_SYN, EMPTY); // data starts at 0xfffffffe
  assert.equal(r.expectedSeq, 0xfffffffe);
  // The segment after the wrap arrives first and is held.
  assert.deepEqual(r.segment(2, TCP_ACK, b('EFGH')).chunks, []);
  assert.equal(text(r.segment(0xfffffffe, TCP_ACK, b('ABCD'))), 'ABCDEFGH');
  assert.equal(r.expectedSeq, 6);
  // A retransmission from before the wrap is recognised as old.
  const old = r.segment(0xffffffff, TCP_ACK, b('BCD'));
  assert.deepEqual(old.chunks, []);
  assert.equal(old.retransmittedBytes, 3);
  // Negative and oversized numbers are taken modulo 2^32.
  assert.equal(text(r.segment(6 + 2 ** 32, TCP_ACK, b('I'))), 'I');
  assert.equal(text(r.segment(-(2 ** 32) + 7, TCP_ACK, b('J'))), 'J');
});

test('FIN takes one sequence number, also when it arrives before the data', () => {
  const r = new TcpDirectionReassembler();
  r.segment(0, TCP_SYN, EMPTY);
  assert.equal(text(r.segment(1, TCP_ACK | TCP_FIN, b('bye'))), 'bye');
  assert.equal(r.expectedSeq, 5); // 1..3 data, 4 FIN

  const s = new TcpDirectionReassembler();
  s.segment(0, TCP_SYN, EMPTY);
  s.segment(6, TCP_ACK | TCP_FIN, EMPTY); // FIN at 6, data 1..5 missing
  assert.equal(s.finPending, true);
  assert.equal(s.expectedSeq, 1);
  assert.equal(text(s.segment(1, TCP_ACK, b('12345'))), '12345');
  assert.equal(s.finPending, false);
  assert.equal(s.expectedSeq, 7);
});

test('a hole that never fills becomes a gap of the exact size when the segment bound is exceeded', () => {
  const r = new TcpDirectionReassembler({ maxHeldSegments: 2 });
  r.segment(0, TCP_SYN, EMPTY); // expect 1
  assert.deepEqual(r.segment(11, TCP_ACK, b('bbbbbbbbbb')).chunks, []); // 1..10 missing
  assert.deepEqual(r.segment(21, TCP_ACK, b('cccccccccc')).chunks, []);
  const d = r.segment(31, TCP_ACK, b('dddddddddd'));
  assert.equal(d.gapBytes, 10);
  assert.equal(text(d), 'bbbbbbbbbbccccccccccdddddddddd');
  assert.equal(r.expectedSeq, 41);
  assert.equal(r.heldBytes, 0);
  // The missing bytes arriving late are now old.
  assert.equal(r.segment(1, TCP_ACK, b('aaaaaaaaaa')).retransmittedBytes, 10);
});

test('the byte bound skips only as many holes as needed', () => {
  const r = new TcpDirectionReassembler({ maxHeldBytes: 25 });
  r.segment(0, TCP_SYN, EMPTY); // expect 1
  r.segment(4, TCP_ACK, b('0123456789')); // hole 1..3
  r.segment(20, TCP_ACK, b('ABCDEFGHIJ')); // hole 14..19
  const d = r.segment(40, TCP_ACK, b('KLMNOPQRST')); // 30 held > 25
  assert.equal(d.gapBytes, 3);
  assert.equal(text(d), '0123456789');
  assert.equal(r.expectedSeq, 14);
  assert.equal(r.heldBytes, 20);
  // flushGap skips the next hole (14..19, 6 bytes) and stops at the one after.
  const f = r.flushGap();
  assert.equal(f.gapBytes, 6);
  assert.equal(text(f), 'ABCDEFGHIJ');
  const g = r.flushGap();
  assert.equal(g.gapBytes, 10); // 30..39
  assert.equal(text(g), 'KLMNOPQRST');
  assert.deepEqual(r.flushGap(), { chunks: [], gapBytes: 0, retransmittedBytes: 0 });
  assert.equal(r.stats.gapBytes, 19);
});

test('a single segment bigger than the byte bound is delivered past its hole', () => {
  const r = new TcpDirectionReassembler({ maxHeldBytes: 4 });
  r.segment(0, TCP_SYN, EMPTY);
  const d = r.segment(3, TCP_ACK, b('too big'));
  assert.equal(d.gapBytes, 2);
  assert.equal(text(d), 'too big');
});

test('data held from a reused caller buffer survives the buffer being overwritten', () => {
  const shared = Buffer.alloc(64); // like a capture reader's frame buffer
  const r = new TcpDirectionReassembler();
  r.segment(0, TCP_SYN, EMPTY);
  shared.write('later', 10);
  r.segment(6, TCP_ACK, shared.subarray(10, 15)); // held
  shared.fill(0x58);
  shared.write('first', 20);
  const d = r.segment(1, TCP_ACK, shared.subarray(20, 25));
  shared.fill(0x59); // after the call, before the caller reads the chunks
  assert.equal(text(d), 'firstlater');
  for (const c of d.chunks) assert.equal(c instanceof Buffer, false);
});

test('table: FIN ends a direction, late retransmissions are dropped, a new connection starts fresh', () => {
  const t = new TcpReassembler();
  const k = '10.0.0.1:5060>10.0.0.2:40000';
  t.segment(k, 1000, TCP_SYN, EMPTY, 1);
  assert.equal(text(t.segment(k, 1001, TCP_ACK, b('REGISTER'), 1)), 'REGISTER');
  assert.equal(text(t.segment(k, 1009, TCP_ACK | TCP_FIN, b('!'), 2)), '!');
  const late = t.segment(k, 1001, TCP_ACK, b('REGISTER'), 2.5);
  assert.deepEqual(late.chunks, []);
  assert.equal(late.retransmittedBytes, 8);
  // The final ACK after our FIN carries the next sequence number and no data.
  assert.deepEqual(t.segment(k, 1011, TCP_ACK, EMPTY, 2.6).chunks, []);
  // Same 4-tuple, new connection seen mid-stream: starts fresh rather than being "old".
  assert.equal(text(t.segment(k, 77_000_000, TCP_ACK, b('OPTIONS'), 3)), 'OPTIONS');
  assert.equal(t.stats.connections, 1);
  assert.equal(t.stats.retransmittedBytes, 8);
});

test('table: FIN flushes held data past a hole and reports the gap', () => {
  const t = new TcpReassembler();
  const k = 'a:1>b:2';
  t.segment(k, 0, TCP_SYN, EMPTY, 0);
  t.segment(k, 5, TCP_ACK, b('world'), 0); // 1..4 missing
  const d = t.segment(k, 10, TCP_ACK | TCP_FIN, EMPTY, 0);
  assert.equal(d.gapBytes, 4);
  assert.equal(text(d), 'world');
  assert.equal(t.stats.heldBytes, 0);
  assert.equal(t.stats.gapBytes, 4);
});

test('table: RST ends a direction; SYN with a new ISN starts fresh, the same ISN is a retransmission', () => {
  const t = new TcpReassembler();
  const k = 'a:1>b:2';
  t.segment(k, 500, TCP_SYN, EMPTY, 0);
  t.segment(k, 510, TCP_ACK, b('held'), 0);
  assert.equal(t.stats.heldBytes, 4);
  t.segment(k, 500, TCP_SYN, EMPTY, 0); // retransmitted SYN: same state
  assert.equal(t.stats.heldBytes, 4);
  t.segment(k, 9000, TCP_SYN, EMPTY, 1); // new ISN: old held data is dropped with the old state
  assert.equal(t.stats.heldBytes, 0);
  assert.equal(t.direction(k)?.expectedSeq, 9001);
  assert.equal(text(t.segment(k, 9001, TCP_ACK, b('abc'), 1)), 'abc');
  const rst = t.segment(k, 9004, TCP_RST, EMPTY, 2);
  assert.deepEqual(rst.chunks, []);
  assert.equal(text(t.segment(k, 123456789, TCP_ACK, b('new'), 3)), 'new');
});

test('table: 1e5 connections into maxConnections 1000 keeps at most 1000 and counts evictions', () => {
  const t = new TcpReassembler({ maxConnections: 1000 });
  const payload = b('x');
  for (let i = 0; i < 100_000; i++) {
    t.segment(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}:5060>10.9.9.9:5060`, 1, TCP_SYN, EMPTY, i / 1000);
    t.segment(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}:5060>10.9.9.9:5060`, 10, TCP_ACK, payload, i / 1000);
  }
  assert.equal(t.stats.connections, 1000);
  assert.equal(t.stats.evicted, 99_000);
  // Every direction kept holds 1 byte (seq 10 is ahead of 2); the evicted ones' bytes are released.
  assert.equal(t.stats.heldBytes, 1000);
  // The least recently used went first: the newest is still there, the oldest is not.
  assert.notEqual(t.direction('10.1.134.159:5060>10.9.9.9:5060'), undefined); // i = 99999
  assert.equal(t.direction('10.0.0.0:5060>10.9.9.9:5060'), undefined);
});

test('table: idle directions are dropped after the timeout, by segment() and by expire()', () => {
  const t = new TcpReassembler({ idleTimeoutSec: 10 });
  t.segment('a', 1, TCP_ACK, b('x'), 0);
  t.segment('b', 1, TCP_ACK, b('y'), 5);
  t.segment('c', 1, TCP_ACK, b('z'), 12); // 'a' is idle 12 s > 10
  assert.equal(t.stats.connections, 2);
  assert.equal(t.stats.timedOut, 1);
  assert.equal(t.expire(100), 2);
  assert.equal(t.stats.connections, 0);
  assert.equal(t.stats.evicted, 3);
  assert.equal(t.stats.timedOut, 3);
  assert.equal(t.expire(Number.NaN), 0);
});

test('table: the shared held-bytes budget keeps total held data bounded', () => {
  const t = new TcpReassembler({ maxTotalHeldBytes: 2000 });
  const chunk = new Uint8Array(500);
  let gaps = 0;
  for (let i = 0; i < 20; i++) {
    const k = `flow${i}`;
    t.segment(k, 0, TCP_SYN, EMPTY, 0);
    gaps += t.segment(k, 11, TCP_ACK, chunk, 0).gapBytes; // hole 1..10
    assert.ok(t.stats.heldBytes <= 2000, `held ${t.stats.heldBytes}`);
  }
  // 3 directions fit (3 * (500 + 64) <= 2000); each later one has to skip its hole.
  assert.equal(t.stats.heldBytes, 1500);
  assert.equal(gaps, 17 * 10);
  assert.equal(t.stats.gapBytes, 170);
});

test('nothing throws on odd input', () => {
  const t = new TcpReassembler({ maxConnections: 4, maxHeldSegments: 3, maxHeldBytes: 100 });
  const odd = [Number.NaN, -1, 2 ** 40, Infinity, 0.5, 0xffffffff];
  for (const seq of odd) {
    for (const flags of [0, TCP_SYN, TCP_FIN, TCP_RST, 0xfff, -1, Number.NaN]) {
      t.segment('k', seq, flags, new Uint8Array(7), Number.NaN);
      t.segment('k', seq, flags, EMPTY, -5);
    }
  }
  const r = new TcpDirectionReassembler({ maxHeldBytes: Number.NaN, maxHeldSegments: -3 });
  assert.equal(r.maxHeldBytes, 1024 * 1024);
  assert.equal(r.maxHeldSegments, 256);
  assert.deepEqual(r.flushGap(), { chunks: [], gapBytes: 0, retransmittedBytes: 0 });
  assert.deepEqual(r.flushAll(), { chunks: [], gapBytes: 0, retransmittedBytes: 0 });
});

/** A byte string cut into segments (some overlapping), shuffled, some sent twice. */
const stream = fc
  .record({
    data: fc.uint8Array({ minLength: 1, maxLength: 3000 }),
    isn: fc.oneof(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0xffffff00, max: 0xffffffff })),
    cuts: fc.array(fc.nat(), { maxLength: 40 }),
    overlaps: fc.array(fc.tuple(fc.nat(), fc.nat({ max: 400 })), { maxLength: 6 }),
  })
  .chain((base) => {
    const n = base.data.length;
    const points = [...new Set([0, n, ...base.cuts.map((c) => c % (n + 1))])].sort((x, y) => x - y);
    const segs: Array<[number, number]> = [];
    for (let i = 0; i + 1 < points.length; i++) segs.push([points[i], points[i + 1]]);
    for (const [s, l] of base.overlaps) {
      const start = s % n;
      segs.push([start, Math.min(n, start + l + 1)]);
    }
    return fc.record({
      base: fc.constant(base),
      order: fc.shuffledSubarray(segs, { minLength: segs.length, maxLength: segs.length }),
      twice: fc.array(fc.boolean(), { minLength: segs.length, maxLength: segs.length }),
    });
  });

test('property: any order, with duplicates and overlaps, delivers exactly the original bytes', () => {
  fc.assert(
    fc.property(stream, ({ base, order, twice }) => {
      const { data, isn } = base;
      const r = new TcpDirectionReassembler();
      const t = new TcpReassembler();
      const chunks: Uint8Array[] = [];
      const tableChunks: Uint8Array[] = [];
      let gap = 0;
      let retx = 0;
      let sent = 0;
      const send = (s: number, e: number): void => {
        const seq = (isn + 1 + s) >>> 0;
        // Send from a scratch buffer that is clobbered afterwards, like a capture reader's.
        const scratch = new Uint8Array(data.subarray(s, e));
        const d = r.segment(seq, TCP_ACK, scratch);
        const dt = t.segment('k', seq, TCP_ACK, scratch, 0);
        scratch.fill(0xee);
        chunks.push(...d.chunks);
        tableChunks.push(...dt.chunks);
        gap += d.gapBytes;
        retx += d.retransmittedBytes;
        sent += e - s;
      };
      r.segment(isn, TCP_SYN, EMPTY);
      t.segment('k', isn, TCP_SYN, EMPTY, 0);
      order.forEach(([s, e], i) => {
        send(s, e);
        if (twice[i]) send(s, e);
      });
      assert.equal(gap, 0);
      assert.deepEqual(concat(chunks), data);
      assert.deepEqual(concat(tableChunks), data);
      assert.equal(retx, sent - data.length);
      assert.equal(r.heldBytes, 0);
      assert.equal(r.expectedSeq, (isn + 1 + data.length) >>> 0);
    }),
    { numRuns: 300 },
  );
});

test('property: with tiny bounds, delivered plus skipped bytes always account for the whole stream', () => {
  fc.assert(
    fc.property(stream, fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 600 }), ({ base, order }, maxSegs, maxBytes) => {
      const { data, isn } = base;
      const r = new TcpDirectionReassembler({ maxHeldSegments: maxSegs, maxHeldBytes: maxBytes });
      let delivered = 0;
      let gap = 0;
      const take = (d: TcpDelivery): void => {
        for (const c of d.chunks) delivered += c.length;
        gap += d.gapBytes;
      };
      r.segment(isn, TCP_SYN, EMPTY);
      for (const [s, e] of order) {
        take(r.segment((isn + 1 + s) >>> 0, TCP_ACK, data.subarray(s, e)));
        assert.ok(r.heldSegments <= maxSegs);
        assert.ok(r.heldBytes <= maxBytes);
      }
      take(r.flushAll());
      assert.equal(delivered + gap, data.length);
      assert.equal(r.heldBytes, 0);
    }),
    { numRuns: 300 },
  );
});
