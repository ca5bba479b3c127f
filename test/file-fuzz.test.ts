// File-level fuzzing: captures whose headers, record and block lengths,
// interface options and gzip framing are mutated, or which are cut short,
// through the readers in-process (thousands of cases: packets or one
// CaptureError, nothing else) and through `ucprobe analyze` and
// `ucprobe dissect` as a user runs them (for a bounded time: exit 0 or 2,
// only `ucprobe:` lines on stderr, never exit 3, a stack trace or a hang).
//
// Seeded: UCPROBE_FUZZ_SEED picks the run (default 20), UCPROBE_FUZZ_SECONDS
// bounds the CLI part (default 50). A failure names the seed and case, and
// leaves the file in the test's temporary folder.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Rng } from '../src/generator/rng.js';
import { fileChunks, readCapture, readCaptureStream } from '../src/sources/capture-reader.js';
import { CaptureError, newFacts } from '../src/sources/types.js';
import { PcapngWriter, PcapWriter } from '../src/writer/pcap-writer.js';
import { REPO } from './helpers.js';

const SEED = Number(process.env.UCPROBE_FUZZ_SEED ?? 20);
const CLI_SECONDS = Number(process.env.UCPROBE_FUZZ_SECONDS ?? 50);
const BIN = join(REPO, 'bin', 'ucprobe.js');
const tmp = mkdtempSync(join(tmpdir(), 'ucprobe-file-fuzz-'));

/** The demo's first 300 frames, written by the project's writers in several shapes: the seeds the mutations start from. */
async function seeds(): Promise<Array<{ name: string; bytes: Buffer }>> {
  const frames: Array<[number, number, Uint8Array]> = [];
  await readCapture(join(REPO, 'captures', 'demo.pcap'), (i, b) => {
    if (frames.length < 300) frames.push([i.tsSec, i.tsNsec, b.slice()]);
  });
  const write = (name: string, make: (path: string) => { writePacket(s: number, n: number, d: Uint8Array): void; close(): void }, eachIface?: (w: PcapngWriter, i: number) => void): Buffer => {
    const path = join(tmp, name);
    const w = make(path);
    frames.forEach(([s, n, d], i) => (eachIface && w instanceof PcapngWriter ? eachIface(w, i) : w.writePacket(s, n, d)));
    w.close();
    return readFileSync(path);
  };
  const pcapLe = write('seed-le.pcap', (p) => new PcapWriter(p, { precision: 'us' }));
  const pcapBeNs = write('seed-be-ns.pcap', (p) => new PcapWriter(p, { endian: 'be', precision: 'ns' }));
  const ng = write('seed.pcapng', (p) => new PcapngWriter(p, { interfaces: [{ linkType: 1, name: 'eth0' }, { linkType: 1, precision: 'ns', name: 'eth1' }] }),
    (w, i) => w.writeEnhancedPacket(frames[i][0], frames[i][1], frames[i][2], { iface: i % 2, comment: i % 50 === 0 ? `note ${i}` : undefined }));
  const ngBe = write('seed-be.pcapng', (p) => new PcapngWriter(p, { endian: 'be' }));
  const half = Math.floor(ng.length / 2);
  return [
    { name: 'le.pcap', bytes: pcapLe },
    { name: 'be-ns.pcap', bytes: pcapBeNs },
    { name: 'two-ifaces.pcapng', bytes: ng },
    { name: 'be.pcapng', bytes: ngBe },
    { name: 'le.pcap.gz', bytes: gzipSync(pcapLe) },
    { name: 'two-members.pcapng.gz', bytes: Buffer.concat([gzipSync(ng.subarray(0, half)), gzipSync(ng.subarray(half))]) },
  ];
}

/** Offsets where records or blocks start (pcap: after the 24-byte header; pcapng: by block lengths), as far as they can be walked. */
function boundaries(b: Buffer): number[] {
  const at: number[] = [];
  if (b.length >= 24 && (b.readUInt32LE(0) === 0xa1b2c3d4 || b.readUInt32BE(0) === 0xa1b2c3d4 || b.readUInt32BE(0) === 0xa1b23c4d)) {
    const le = b.readUInt32LE(0) === 0xa1b2c3d4;
    for (let o = 24; o + 16 <= b.length && at.length < 400; o += 16 + (le ? b.readUInt32LE(o + 8) : b.readUInt32BE(o + 8))) at.push(o);
  } else if (b.length >= 12 && b.readUInt32BE(0) === 0x0a0d0d0a) {
    const le = b.readUInt32LE(8) === 0x1a2b3c4d;
    for (let o = 0; o + 12 <= b.length && at.length < 400; ) {
      at.push(o);
      const n = le ? b.readUInt32LE(o + 4) : b.readUInt32BE(o + 4);
      if (n < 12) break;
      o += n;
    }
  }
  return at;
}

const EDGE = [0, 1, 3, 4, 11, 12, 0x7f, 0xff, 0x100, 0xffff, 0x10000, 0x3ffff, 0x40000, 0x7fffffff, 0x80000000, 0xfffffff0, 0xffffffff];

/** One mutation of `b`, described. */
function mutate(rng: Rng, seed: { name: string; bytes: Buffer }): { what: string; bytes: Buffer } {
  const b = Buffer.from(seed.bytes);
  const gz = seed.name.endsWith('.gz');
  const pick = (n: number): number => rng.int(0, Math.max(0, n - 1));
  const kind = rng.int(0, gz ? 8 : 6);
  switch (kind) {
    case 0: {
      // A few bytes flipped in the first 4 kB: file header, first records or blocks, gzip header.
      const n = rng.int(1, 6);
      for (let i = 0; i < n; i++) b[pick(Math.min(4096, b.length))] = rng.int(0, 255);
      return { what: `${n} header bytes set`, bytes: b };
    }
    case 1: {
      // A length field at a record or block boundary set to an edge value (caplen, block length, trailer).
      const at = gz ? [] : boundaries(b);
      if (at.length === 0) return { what: 'cut at 0', bytes: b.subarray(0, 0) };
      const o = at[pick(at.length)] + [4, 8, 12, 20][rng.int(0, 3)];
      const v = EDGE[pick(EDGE.length)];
      if (o + 4 <= b.length) rng.int(0, 1) ? b.writeUInt32LE(v, o) : b.writeUInt32BE(v, o);
      return { what: `u32 at ${o} = ${v}`, bytes: b };
    }
    case 2: {
      // Cut anywhere.
      const cut = pick(b.length + 1);
      return { what: `cut at ${cut}`, bytes: b.subarray(0, cut) };
    }
    case 3: {
      // Bytes inserted or removed at a boundary, shifting everything after.
      const at = boundaries(b);
      const o = at.length ? at[pick(at.length)] : pick(b.length);
      const n = rng.int(1, 9);
      return rng.int(0, 1)
        ? { what: `${n} bytes removed at ${o}`, bytes: Buffer.concat([b.subarray(0, o), b.subarray(Math.min(b.length, o + n))]) }
        : { what: `${n} bytes inserted at ${o}`, bytes: Buffer.concat([b.subarray(0, o), Buffer.from(rng.hex(2 * n), 'hex'), b.subarray(o)]) };
    }
    case 4: {
      // A byte anywhere, many times.
      const n = rng.int(1, 40);
      for (let i = 0; i < n; i++) b[pick(b.length)] ^= 1 << rng.int(0, 7);
      return { what: `${n} bits flipped`, bytes: b };
    }
    case 5: {
      // A record or block repeated, or another file's tail spliced in.
      const at = boundaries(b);
      if (at.length < 3) return { what: 'unchanged', bytes: b };
      const i = rng.int(1, at.length - 2);
      const block = b.subarray(at[i], at[i + 1]);
      return { what: `block at ${at[i]} doubled`, bytes: Buffer.concat([b.subarray(0, at[i + 1]), block, b.subarray(at[i + 1])]) };
    }
    case 6: {
      // pcapng: an interface option's length or value set to an edge (tsresol, name), or a section header's version.
      const at = boundaries(b);
      const o = (at[1] ?? 0) + rng.int(16, 40);
      if (o + 2 <= b.length) b.writeUInt16LE(EDGE[pick(EDGE.length)] & 0xffff, o);
      return { what: `u16 at ${o} in the first blocks`, bytes: b };
    }
    case 7: {
      // gzip framing: header flags, method, an extra field claimed, garbage after, a trailer changed.
      const choice = rng.int(0, 4);
      if (choice === 0) b[3] = rng.int(0, 255);
      else if (choice === 1) b[2] = rng.int(0, 255);
      else if (choice === 2) {
        b[3] |= 0x04;
        return { what: 'FEXTRA claimed', bytes: b };
      } else if (choice === 3) return { what: 'garbage after', bytes: Buffer.concat([b, Buffer.from(rng.hex(2 * rng.int(1, 64)), 'hex')]) };
      else b.writeUInt32LE(rng.u32(), b.length - 4);
      return { what: `gzip header/trailer ${choice}`, bytes: b };
    }
    default: {
      // gzip: deflate data hit somewhere past the header.
      const n = rng.int(1, 8);
      for (let i = 0; i < n; i++) b[rng.int(10, b.length - 1)] = rng.int(0, 255);
      return { what: `${n} deflate bytes set`, bytes: b };
    }
  }
}

test(`readers on mutated files (seed ${SEED}): packets, or one CaptureError; every file read two ways`, { timeout: 300_000 }, async (t) => {
  const base = await seeds();
  const rng = new Rng(SEED);
  const outcomes = { read: 0, refused: 0, warned: 0 };
  for (let i = 0; i < 1200; i++) {
    const seed = base[i % base.length];
    const m = mutate(rng, seed);
    const path = join(tmp, `in-process-${i}-${seed.name}`);
    writeFileSync(path, m.bytes);
    for (const how of ['file', 'chunks'] as const) {
      const facts = newFacts();
      try {
        if (how === 'file') await readCapture(path, () => {}, facts);
        else await readCaptureStream(path, fileChunks(path, facts, 1000 + (i % 7) * 333), () => {}, facts);
        outcomes.read++;
        if (facts.warnings.length) outcomes.warned++;
      } catch (e) {
        if (!(e instanceof CaptureError)) assert.fail(`seed ${SEED} case ${i} (${seed.name}: ${m.what}), ${how}: ${(e as Error).stack}`);
        assert.ok(e.message.startsWith(`${path}: `), `case ${i}: the error names the file: ${e.message}`);
        outcomes.refused++;
      }
    }
  }
  t.diagnostic(`${JSON.stringify(outcomes)} (reads)`);
  // The mutations reach all three outcomes.
  assert.ok(outcomes.read > 300 && outcomes.refused > 300 && outcomes.warned > 100, JSON.stringify(outcomes));
});

test(`ucprobe analyze and dissect on mutated files (seed ${SEED}, ${CLI_SECONDS} s): exit 0 or 2, one-line errors, no stack trace, no hang`, { timeout: (CLI_SECONDS + 120) * 1000 }, async (t) => {
  const base = await seeds();
  const rng = new Rng(SEED + 1);
  const until = Date.now() + CLI_SECONDS * 1000;
  let runs = 0;
  const exits: Record<number, number> = { 0: 0, 2: 0 };
  for (let i = 0; runs < 6 || Date.now() < until; i++) {
    const seed = base[i % base.length];
    const m = mutate(rng, seed);
    const path = join(tmp, `cli-${i}-${seed.name}`);
    writeFileSync(path, m.bytes);
    for (const args of [['analyze', '--json', path], ['dissect', '-V', path]]) {
      // A hang is a run still going after 30 s (a normal one takes well under 1 s).
      const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 30_000, maxBuffer: 256 * 1024 * 1024 });
      runs++;
      exits[r.status ?? -1] = (exits[r.status ?? -1] ?? 0) + 1;
      const what = `seed ${SEED} case ${i} (${seed.name}: ${m.what}): ucprobe ${args.join(' ')}`;
      assert.notEqual(r.signal, 'SIGTERM', `${what}: still running after 30 s`);
      assert.ok(r.status === 0 || r.status === 2, `${what}: exit ${r.status}\n${r.stderr}`);
      assert.doesNotMatch(r.stderr, /internal error|\n\s+at |^\s+at /, what);
      for (const line of r.stderr.split('\n').filter((l) => l !== '')) assert.match(line, /^ucprobe: /, `${what}: ${line}`);
      if (r.status === 0 && args[0] === 'analyze') assert.equal(typeof JSON.parse(r.stdout).files[0].capture.packets, 'number', what);
    }
  }
  t.diagnostic(`${runs} runs, ${exits[0]} exit 0, ${exits[2]} exit 2`);
  assert.ok(runs >= 6);
});
