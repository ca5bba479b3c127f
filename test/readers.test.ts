// Capture readers on every format variant in the corpus, timestamps to the
// nanosecond against tshark, and the ways a file can be broken.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileChunks, readCapture, readCaptureStream } from '../src/sources/capture-reader.js';
import { CaptureError, newFacts } from '../src/sources/types.js';
import { openCaptureWriter, PcapngWriter } from '../src/writer/pcap-writer.js';
import { Rng } from '../src/generator/rng.js';
import { CORPUS, REPO, corpusCaptures, hasTshark, needsCorpus, tshark } from './helpers.js';

const DEMO = join(REPO, 'captures', 'demo.pcap');

const tmp = mkdtempSync(join(tmpdir(), 'ucprobe-readers-'));
const corpus = (name: string) => join(CORPUS, name);

async function stamps(path: string): Promise<{ times: string[]; links: number[]; facts: Awaited<ReturnType<typeof readCapture>> }> {
  const times: string[] = [];
  const links: number[] = [];
  const facts = await readCapture(path, (i) => {
    times.push(`${i.tsSec}.${String(i.tsNsec).padStart(9, '0')}`);
    links.push(i.linkType);
  });
  return { times, links, facts };
}

const VARIANTS: Array<[string, string, string]> = [
  // file, format, byte order
  ['sngrep__aaa.pcap', 'pcap', 'le'],
  ['pcapplusplus__nanosecs.pcap', 'pcap', 'le'],
  ['pcapplusplus__nanosecs_big_endian.pcap', 'pcap', 'be'],
  ['pcapplusplus__microsecs_big_endian.pcap', 'pcap', 'be'],
  ['tcpdump__isup.pcap', 'pcap', 'be'],
  ['tcpdump__tcp-handshake-nano.pcap', 'pcap', 'le'],
  ['gopacket__le__test008.pcapng', 'pcapng', 'le'],
  ['gopacket__be__test008.pcapng', 'pcapng', 'be'],
  ['gopacket__le__test202.pcapng', 'pcapng', 'le'],
  ['gopacket__be__test202.pcapng', 'pcapng', 'be'],
  ['gopacket__le__test902.pcapng', 'pcapng', 'le'],
  ['pcapplusplus__pcapng-example.pcapng', 'pcapng', 'le'],
  ['pcapplusplus__many_interfaces-1.pcapng', 'pcapng', 'le'],
  ['ndpi__http_on_sip_port.pcap', 'pcapng', 'le'],
  ['zeek__linux_dlt_sll2.pcap', 'pcap', 'le'],
];

for (const [name, format, order] of VARIANTS) {
  test(`reads ${name}: ${format} ${order}, timestamps equal tshark's`, { skip: needsCorpus || (!hasTshark && 'tshark not installed') }, async () => {
    const { times, links, facts } = await stamps(corpus(name));
    assert.equal(facts.format, format);
    assert.equal(facts.byteOrder, order);
    const theirs = tshark(['-r', corpus(name), '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'frame.cb_pen'])
      .map((l) => l.split('\t'))
      .filter((c) => !c[1])
      // Simple packet blocks carry no timestamp: tshark prints nothing, ucprobe 0.
      .map((c) => c[0] || '0.000000000');
    assert.deepEqual(times, theirs);
    assert.equal(links.length, facts.packets);
  });
}

test('pcapng with several interfaces keeps each link type and resolution', { skip: needsCorpus }, async () => {
  const { links, facts } = await stamps(corpus('pcapplusplus__pcapng-example.pcapng'));
  assert.deepEqual(facts.interfaces.map((i) => [i.linkType, i.tsUnitsPerSec]), [[1, 1e9], [113, 1e6]]);
  assert.ok(links.includes(1) && links.includes(113));
  const many = await stamps(corpus('pcapplusplus__many_interfaces-1.pcapng'));
  assert.equal(many.facts.interfaces.length, 11);
  assert.deepEqual([...new Set(many.facts.interfaces.map((i) => i.linkType))].sort((a, b) => a - b), [0, 1, 12]);
  assert.deepEqual([...new Set(many.links)].sort((a, b) => a - b), [0, 1]);
});

test('power-of-two if_tsresol (0x88: 1/256 s)', { skip: needsCorpus }, async () => {
  const { facts, times } = await stamps(corpus('gopacket__le__test902.pcapng'));
  assert.equal(facts.interfaces[0].tsUnitsPerSec, 256);
  assert.deepEqual(times, ['1519128000.195312500']);
});

test('pcapng timestamps: microsecond and nanosecond units split exactly, far from and near whole seconds', async () => {
  const stampsIn = [[1_700_000_000, 0], [1_700_000_000, 999_999_000], [4_000_000_000, 1_000], [9_000_000, 999_999_999]] as const;
  for (const precision of ['us', 'ns'] as const) {
    const f = join(tmp, `stamps-${precision}.pcapng`);
    const w = openCaptureWriter(f, 'pcapng', { precision });
    for (const [sec, nsec] of stampsIn) w.writePacket(sec, nsec, new Uint8Array(60));
    w.close();
    const want = stampsIn.map(([sec, nsec]) => `${sec}.${String(precision === 'us' ? Math.floor(nsec / 1000) * 1000 : nsec).padStart(9, '0')}`);
    assert.deepEqual((await stamps(f)).times, want, precision);
  }
});

test('corrupt pcapng blocks: one CaptureError naming the file and the block\'s byte offset', async () => {
  const f = join(tmp, 'blocks.pcapng');
  const w = openCaptureWriter(f, 'pcapng');
  for (let i = 0; i < 3; i++) w.writePacket(1_700_000_000 + i, 0, new Uint8Array(60));
  w.close();
  const good = readFileSync(f);
  // Block offsets by their lengths: SHB, IDB, then the three EPBs.
  const at: number[] = [];
  for (let o = 0; o < good.length; o += good.readUInt32LE(o + 4)) at.push(o);
  const epb = at[3];
  const broken = (name: string, edit: (b: Buffer) => void): string => {
    const b = Buffer.from(good);
    edit(b);
    const path = join(tmp, `${name}.pcapng`);
    writeFileSync(path, b);
    return path;
  };
  const cases: Array<[string, (b: Buffer) => void, RegExp]> = [
    ['length', (b) => b.writeUInt32LE(13, epb + 4), new RegExp(`length\\.pcapng: block at byte ${epb}: block length 13 is invalid`)],
    ['trailer', (b) => b.writeUInt32LE(0, epb + b.readUInt32LE(epb + 4) - 4), new RegExp(`trailer\\.pcapng: block at byte ${epb}: trailing block length does not match`)],
    ['caplen', (b) => b.writeUInt32LE(4096, epb + 20), new RegExp(`caplen\\.pcapng: block at byte ${epb}: captured length 4096 overruns its block`)],
  ];
  for (const [name, edit, message] of cases) {
    let before = 0;
    await assert.rejects(readCapture(broken(name, edit), () => before++), (e: Error) => e instanceof CaptureError && message.test(e.message), name);
    assert.equal(before, 1, `${name}: the packet before the broken block was read`);
  }
});

test('snaplen-truncated record: caplen < len is kept and counted', { skip: needsCorpus }, async () => {
  const { facts } = await stamps(corpus('zeek__trunc__trunc-hdr.pcap'));
  assert.equal(facts.packets, 1);
  assert.equal(facts.truncatedPackets, 1);
});

test('unknown SHB version is one clear error naming the file', { skip: needsCorpus }, async () => {
  await assert.rejects(readCapture(corpus('gopacket__le__test901.pcapng'), () => {}), (e: Error) => {
    assert.ok(e instanceof CaptureError);
    assert.match(e.message, /test901\.pcapng: block at byte 480: unsupported pcapng version 2\.0/);
    return true;
  });
});

test('absurd captured length is a clear error naming the record and byte offset', { skip: needsCorpus }, async () => {
  await assert.rejects(readCapture(corpus('ndpi__fuzz-2021-10-13.pcap'), () => {}), /record 1 at byte 24: captured length 524501 exceeds/);
});

test('file cut mid-record: every complete record, then one warning with the byte offset', { skip: needsCorpus }, async () => {
  const whole = readFileSync(corpus('sngrep__aaa.pcap'));
  const all = await stamps(corpus('sngrep__aaa.pcap'));
  for (const cut of [whole.length - 1, 24 + 16 + 5, 30_001]) {
    const f = join(tmp, `cut-${cut}.pcap`);
    writeFileSync(f, whole.subarray(0, cut));
    const { times, facts } = await stamps(f);
    assert.deepEqual(times, all.times.slice(0, times.length));
    assert.equal(facts.warnings.length, 1);
    assert.match(facts.warnings[0], new RegExp(`cut-${cut}\\.pcap: file cut short at byte \\d+: the last record has \\d+ of \\d+ bytes; ${times.length} complete packets read`));
  }
  // pcapng too
  const ng = readFileSync(corpus('ndpi__rtp.pcapng'));
  const f = join(tmp, 'cut.pcapng');
  writeFileSync(f, ng.subarray(0, ng.length - 10));
  const r = await stamps(f);
  assert.equal(r.facts.packets, 111);
  assert.match(r.facts.warnings[0], /file cut short at byte/);
});

test('files of many read chunks: records across chunk ends, longer than a chunk, in pcap, pcapng and gzip', async () => {
  // Sizes around the reader's 256 KiB headroom and 4 MiB chunk, among ordinary frames.
  const rng = new Rng(17);
  const sizes: number[] = [];
  for (let i = 0; i < 40_000; i++) sizes.push(rng.int(60, 1514));
  const huge = 30_000;
  sizes.splice(10_000, 0, 300 * 1024, 9 * 1024 * 1024, 256 * 1024, 256 * 1024 + 1);
  sizes.splice(huge, 0, 12 * 1024 * 1024);
  const frame = (n: number, i: number) => {
    const b = new Uint8Array(n);
    for (let k = 0; k < n; k += 997) b[k] = (i + k) & 0xff;
    b[n - 1] = i & 0xff;
    return b;
  };
  for (const format of ['pcap', 'pcapng'] as const) {
    const f = join(tmp, `big.${format}`);
    const w = openCaptureWriter(f, format, { snaplen: 16 * 1024 * 1024 });
    sizes.forEach((n, i) => w.writePacket(1_700_000_000 + i, 0, frame(n, i)));
    w.close();
    writeFileSync(`${f}.gz`, gzipSync(readFileSync(f)));
    for (const path of [f, `${f}.gz`]) {
      const seen: number[] = [];
      let wrong = 0;
      await readCapture(path, (info, bytes) => {
        const i = seen.length;
        seen.push(bytes.length);
        if (info.tsSec !== 1_700_000_000 + i || bytes[0] !== (i & 0xff) || bytes[bytes.length - 1] !== (i & 0xff)) wrong++;
      });
      assert.deepEqual(seen, sizes, path);
      assert.equal(wrong, 0, path);
    }
    // Cut inside the 12 MiB record: every record before it, and the offset where it starts.
    const whole = readFileSync(f);
    // Record lengths on disk: pcap's 16-byte header, pcapng's 32 bytes of EPB around data padded to 4.
    const onDisk = (x: number) => (format === 'pcap' ? 16 + x : 32 + x + ((4 - (x % 4)) % 4));
    const recordStart = whole.length - sizes.slice(huge).reduce((n, x) => n + onDisk(x), 0);
    const cutAt = recordStart + 5 * 1024 * 1024;
    writeFileSync(join(tmp, `big-cut.${format}`), whole.subarray(0, cutAt));
    const cut = await stamps(join(tmp, `big-cut.${format}`));
    assert.equal(cut.facts.packets, huge);
    assert.match(cut.facts.warnings[0], new RegExp(`big-cut\\.${format}: file cut short at byte ${recordStart}: the last record has ${cutAt - recordStart} of ${onDisk(sizes[huge])} bytes`));
  }
});

test('wrong magic, empty file, missing file, directory: one clear error each', async () => {
  const text = join(tmp, 'notes.txt');
  writeFileSync(text, 'GET / HTTP/1.1\r\n\r\n');
  await assert.rejects(readCapture(text, () => {}), /notes\.txt: not a pcap or pcapng file \(starts with 47 45 54 20\)/);
  const empty = join(tmp, 'empty.pcap');
  writeFileSync(empty, '');
  await assert.rejects(readCapture(empty, () => {}), /empty\.pcap: empty file/);
  await assert.rejects(readCapture(join(tmp, 'nope.pcap'), () => {}), /nope\.pcap: cannot read: no such file/);
  await assert.rejects(readCapture(tmp, () => {}), /cannot read: is a directory/);
});

test('gzip files read transparently, same frames', { skip: needsCorpus }, async () => {
  for (const name of ['sngrep__aaa.pcap', 'ndpi__rtp.pcapng']) {
    const gz = join(tmp, `${basename(name)}.gz`);
    writeFileSync(gz, gzipSync(readFileSync(corpus(name))));
    const a = await stamps(corpus(name));
    const b = await stamps(gz);
    assert.deepEqual(b.times, a.times);
    assert.equal(b.facts.gzip, true);
  }
});

test('a capture not in time order: one warning with how many frames step back more than 1 s, the first and the largest step', { skip: needsCorpus }, async () => {
  // Two interfaces interleaving by milliseconds are in order enough; two captures appended end to end are not.
  const f = join(tmp, 'appended.pcap');
  const w = openCaptureWriter(f, 'pcap', { linkType: 1 });
  const frame = new Uint8Array(60);
  const t0 = 1_700_000_000;
  for (const [sec, nsec] of [[t0, 0], [t0 + 5, 0], [t0 + 4, 999_000_000], [t0 + 10, 0], [t0 + 2, 500_000_000], [t0 + 3, 0], [t0 + 11, 0]]) w.writePacket(sec, nsec, frame);
  w.close();
  const r = await stamps(f);
  assert.equal(r.facts.packets, 7);
  assert.equal(r.facts.firstTs, t0);
  assert.equal(r.facts.lastTs, t0 + 11);
  // Frame 3 is 1 ms back (in order enough); frames 5 and 6 are 7.5 s and 7 s back.
  assert.deepEqual(r.facts.warnings, [
    `${f}: not in time order: 2 frames are more than 1 s older than a frame before them (the first is frame 5, at most 7.500 s back); ` +
    'heartbeat and SIP timings assume time order (captures appended with mergecap -a? mergecap without -a merges by time)',
  ]);
  // A capture in order has no warning.
  assert.deepEqual((await stamps(corpus('sngrep__aaa.pcap'))).facts.warnings, []);
});

test('gzip cut mid-stream, or a corrupt second member: every record zlib could unpack, one warning', { skip: needsCorpus }, async () => {
  const name = 'sngrep__aaa.pcap';
  const all = await stamps(corpus(name));
  const gz = gzipSync(readFileSync(corpus(name)));
  const cutFile = join(tmp, 'cut-stream.pcap.gz');
  writeFileSync(cutFile, gz.subarray(0, Math.floor(gz.length / 2)));
  const badFile = join(tmp, 'bad-stream.pcap.gz');
  // A whole gzip member with the first 30 kB, then a second member whose first
  // block has the reserved type 3: zlib's "invalid block type".
  const member = gzipSync(readFileSync(corpus(name)).subarray(0, 30_000));
  writeFileSync(badFile, Buffer.concat([member, member.subarray(0, 10), Buffer.from([0x06]), Buffer.alloc(64)]));
  // readCapture reads the file; readCaptureStream takes the chunks paced readers (tui --replay, hep send) use.
  const readers: Array<[string, (f: string) => Promise<{ times: string[]; facts: Awaited<ReturnType<typeof readCapture>> }>]> = [
    ['file', (f) => stamps(f)],
    ['chunks', async (f) => {
      const times: string[] = [];
      const facts = newFacts();
      await readCaptureStream(f, fileChunks(f, facts, 1024), (i) => times.push(`${i.tsSec}.${String(i.tsNsec).padStart(9, '0')}`), facts);
      return { times, facts };
    }],
  ];
  for (const [how, read] of readers) {
    const cut = await read(cutFile);
    assert.ok(cut.times.length > 0 && cut.times.length < all.times.length, how);
    assert.deepEqual(cut.times, all.times.slice(0, cut.times.length), how);
    assert.equal(cut.facts.warnings.length, 1, how);
    assert.match(cut.facts.warnings[0], new RegExp(`cut-stream\\.pcap\\.gz: gzip data cut short \\(the compressed file ends mid-stream\\) at byte \\d+ of the unpacked capture: the last record has \\d+ of \\d+ bytes; ${cut.times.length} complete packets read`), how);
    // The first member's records, then one warning (this was an error that lost them all).
    const bad = await read(badFile);
    assert.ok(bad.times.length > 0, how);
    assert.deepEqual(bad.times, all.times.slice(0, bad.times.length), how);
    assert.equal(bad.facts.warnings.length, 1, how);
    assert.match(bad.facts.warnings[0], /bad-stream\.pcap\.gz: corrupt gzip data \(member 2, at byte \d+ of the compressed file: invalid block type\) at byte \d+ of the unpacked capture: the last record has \d+ of \d+ bytes; [1-9]\d* complete packets read$/, how);
  }
  // Cut at a record's end, the warning still says the gzip data ends early.
  const whole = readFileSync(corpus(name));
  const firstTwo = 24 + 2 * 16 + whole.readUInt32LE(24 + 8) + whole.readUInt32LE(24 + 16 + whole.readUInt32LE(24 + 8) + 8);
  const flushed = gzipSync(whole.subarray(0, firstTwo));
  // A whole gzip member less its 8-byte trailer: the data is all there, the end marker is not.
  const noTrailer = join(tmp, 'no-trailer.pcap.gz');
  writeFileSync(noTrailer, flushed.subarray(0, flushed.length - 8));
  const two = await stamps(noTrailer);
  assert.equal(two.facts.packets, 2);
  assert.deepEqual(two.facts.warnings, [`${noTrailer}: gzip data cut short (the compressed file ends mid-stream) after 2 complete packets`]);
});

test('a named pipe (what <(tcpdump -w -) gives) reads like the file, plain and gzip', { skip: needsCorpus || (process.platform === 'win32' && 'no mkfifo') }, async () => {
  const name = 'ndpi__rtp.pcapng';
  const file = await stamps(corpus(name));
  const gz = join(tmp, `${name}.gz`);
  writeFileSync(gz, gzipSync(readFileSync(corpus(name))));
  for (const source of [corpus(name), gz]) {
    const fifo = join(tmp, 'pipe');
    rmSync(fifo, { force: true });
    execFileSync('mkfifo', [fifo]);
    // Another process writes, as tcpdump would: opening a pipe blocks until both ends are open.
    const writer = spawn('sh', ['-c', 'cat "$1" > "$2"', 'sh', source, fifo], { stdio: 'ignore' });
    const written = new Promise((resolve) => writer.on('exit', resolve));
    const piped = await stamps(fifo);
    assert.equal(await written, 0);
    assert.deepEqual(piped.times, file.times);
    assert.equal(piped.facts.gzip, source === gz);
  }
});

test('every corpus capture reads without a stack trace: packets, or one CaptureError', async () => {
  for (const f of corpusCaptures()) {
    try {
      const facts = await readCapture(f, () => {});
      assert.ok(facts.packets > 0, basename(f));
    } catch (e) {
      assert.ok(e instanceof CaptureError, `${basename(f)}: ${(e as Error).message}`);
    }
  }
});

test('gzip: trailing garbage, a corrupt or damaged second member, zero padding, two members: every record that could be unpacked, then one warning; nothing unpackable is one error', async () => {
  const demo = readFileSync(DEMO);
  const all = await stamps(DEMO);
  const whole = gzipSync(demo);
  const firstPart = gzipSync(demo.subarray(0, 300_000));
  const secondPart = gzipSync(demo.subarray(300_000));
  // The second member's deflate data overwritten mid-way: zlib unpacks wrong bytes for a while before it can tell.
  const damaged = Buffer.from(secondPart);
  damaged.fill(0xaa, 20_000, 20_064);
  const cases: Array<[string, Buffer, number, RegExp | null]> = [
    ['garbage', Buffer.concat([whole, Buffer.from('hello, trailing garbage\n')]), 4170,
      new RegExp(`garbage\\.pcap\\.gz: trailing garbage after the gzip data \\(from byte ${whole.length} of the compressed file; ignored, as gzip -d does\\) after 4170 complete packets$`)],
    ['bad-member', Buffer.concat([whole, whole.subarray(0, 10), Buffer.from([0x06]), Buffer.alloc(64)]), 4170,
      new RegExp(`bad-member\\.pcap\\.gz: corrupt gzip data \\(member 2, at byte ${whole.length + 10} of the compressed file: invalid block type\\) after 4170 complete packets$`)],
    ['damaged', Buffer.concat([firstPart, damaged]), -1, /damaged\.pcap\.gz: corrupt gzip data \(member 2, at byte \d+ of the compressed file: .*\); what it unpacked before was already wrong \(record \d+ at byte \d+: .*\); \d+ complete packets read$/],
    ['padded', Buffer.concat([whole, Buffer.alloc(512)]), 4170, null],
    ['two-members', Buffer.concat([firstPart, secondPart]), 4170, null],
  ];
  for (const [name, bytes, packets, warning] of cases) {
    const f = join(tmp, `${name}.pcap.gz`);
    writeFileSync(f, bytes);
    for (const [how, read] of [['file', () => stamps(f)], ['chunks', async () => {
      const times: string[] = [];
      const facts = newFacts();
      await readCaptureStream(f, fileChunks(f, facts, 4096), (i) => times.push(`${i.tsSec}.${String(i.tsNsec).padStart(9, '0')}`), facts);
      return { times, facts };
    }]] as const) {
      const r = await read();
      if (packets >= 0) assert.equal(r.times.length, packets, `${name} ${how}`);
      else assert.ok(r.times.length >= 1800 && r.times.length < 4170, `${name} ${how}: ${r.times.length} packets`); // the first member holds 1,8xx
      assert.deepEqual(r.times, all.times.slice(0, r.times.length), `${name} ${how}`);
      if (warning === null) assert.deepEqual(r.facts.warnings, [], `${name} ${how}`);
      else {
        assert.equal(r.facts.warnings.length, 1, `${name} ${how}: ${r.facts.warnings.join(' | ')}`);
        assert.match(r.facts.warnings[0], warning, `${name} ${how}`);
      }
    }
  }
  // From the command line, on stdin too: the report of what was read, the warning, exit 0.
  const garbage = readFileSync(join(tmp, 'garbage.pcap.gz'));
  const cli = spawnSync(process.execPath, [join(REPO, 'bin', 'ucprobe.js'), 'analyze', '--json', '-'], { input: garbage, encoding: 'utf8' });
  assert.equal(cli.status, 0, cli.stderr);
  assert.equal(JSON.parse(cli.stdout).files[0].capture.packets, 4170);
  assert.match(cli.stderr, /^ucprobe: warning: stdin: trailing garbage after the gzip data/);
  // Deflate data broken from its first block: nothing to read, one error naming the file.
  const broken = join(tmp, 'broken.pcap.gz');
  writeFileSync(broken, Buffer.concat([whole.subarray(0, 10), Buffer.alloc(100, 0xff)]));
  await assert.rejects(stamps(broken), (e: Error) => e instanceof CaptureError && /broken\.pcap\.gz: corrupt gzip data \(member 1, at byte 10 of the compressed file: invalid block type\); nothing could be unpacked$/.test(e.message));
});

// ---------------------------------------------------------------- pcapng interfaces that cannot be right

/** Block offsets of a pcapng file, by walking its block lengths. */
function blocksOf(b: Buffer): number[] {
  const at: number[] = [];
  for (let o = 0; o < b.length; o += b.readUInt32LE(o + 4)) at.push(o);
  return at;
}

/** The offset of the value of option `code` in the little-endian IDB at `idb` (IDB options start 16 bytes in). */
function idbOption(b: Buffer, idb: number, code: number): number {
  const end = idb + b.readUInt32LE(idb + 4) - 4;
  for (let o = idb + 16; o + 4 <= end; o += 4 + ((b.readUInt16LE(o + 2) + 3) & ~3)) if (b.readUInt16LE(o) === code) return o + 4;
  throw new Error(`no option ${code}`);
}

/** A pcapng of three packets one second apart by the project's writer (interface "eth0", µs), then `edit` applied to its bytes. */
function editedPcapng(name: string, edit: (b: Buffer, blocks: number[]) => void): string {
  const f = join(tmp, `${name}.pcapng`);
  const w = new PcapngWriter(f, { interfaces: [{ linkType: 1, name: 'eth0', description: '12345678' }] });
  for (let i = 0; i < 3; i++) w.writePacket(1_700_000_000 + i, 250_000_000, new Uint8Array(60));
  w.close();
  const b = readFileSync(f);
  edit(b, blocksOf(b));
  writeFileSync(f, b);
  return f;
}

test('pcapng if_tsresol that cannot be right (0xff, 0x7f, 100): a warning naming the interface, timestamps read as microseconds', async () => {
  for (const [value, shown] of [[0xff, '0xff \\(2\\^-127 s\\)'], [0x7f, '127 \\(10\\^-127 s\\)'], [100, '100 \\(10\\^-100 s\\)']] as const) {
    // The transform: the IDB's if_tsresol (option 9, which the writer always writes: 6 for µs) set to `value`.
    const f = editedPcapng(`tsresol-${value}`, (b, blocks) => { b[idbOption(b, blocks[1], 9)] = value; });
    const r = await stamps(f);
    assert.deepEqual(r.times, ['1700000000.250000000', '1700000001.250000000', '1700000002.250000000'], `${value}: the writer's microseconds`);
    assert.equal(r.facts.interfaces[0].tsUnitsPerSec, 1e6);
    assert.equal(r.facts.warnings.length, 1, r.facts.warnings.join(' | '));
    assert.match(r.facts.warnings[0], new RegExp(`tsresol-${value}\\.pcapng: interface 0 \\(eth0\\), block at byte \\d+: if_tsresol ${shown} cannot be right; its timestamps are read as microseconds$`));
  }
  // Plausible ones stay silent: nanoseconds, 2^-8 s.
  for (const value of [9, 0x88]) {
    const r = await stamps(editedPcapng(`tsresol-ok-${value}`, (b, blocks) => { b[idbOption(b, blocks[1], 9)] = value; }));
    assert.deepEqual(r.facts.warnings, [], String(value));
  }
});

test('pcapng if_tsoffset of 2^62 s: a warning naming the interface, the offset ignored', async () => {
  // The transform: the writer's 8-byte if_description (option 3) becomes an if_tsoffset (option 14) of 2^62 s.
  const f = editedPcapng('tsoffset', (b, blocks) => {
    const v = idbOption(b, blocks[1], 3);
    b.writeUInt16LE(14, v - 4);
    b.writeBigInt64LE(2n ** 62n, v);
  });
  const r = await stamps(f);
  assert.deepEqual(r.times, ['1700000000.250000000', '1700000001.250000000', '1700000002.250000000']);
  assert.deepEqual(r.facts.warnings.map((w) => w.replace(/block at byte \d+/, 'block at byte N')), [
    `${f}: interface 0 (eth0), block at byte N: if_tsoffset 4611686018427387904 s cannot be right (more than 2^32 s from the epoch); ignored`,
  ]);
  // A plausible offset is added: 1000 s.
  const g = editedPcapng('tsoffset-ok', (b, blocks) => {
    const v = idbOption(b, blocks[1], 3);
    b.writeUInt16LE(14, v - 4);
    b.writeBigInt64LE(1000n, v);
  });
  assert.deepEqual((await stamps(g)).times, ['1700001000.250000000', '1700001001.250000000', '1700001002.250000000']);
});

test('pcapng packets naming an interface never described: skipped and counted into one warning; the file reads on', async () => {
  // The transform: the first and third EPBs (blocks 2 and 4, after the SHB and IDB) name interface 5 and 7.
  const f = editedPcapng('no-iface', (b, blocks) => {
    b.writeUInt32LE(5, blocks[2] + 8);
    b.writeUInt32LE(7, blocks[4] + 8);
  });
  const r = await stamps(f);
  assert.deepEqual(r.times, ['1700000001.250000000']);
  const second = blocksOf(readFileSync(f))[2];
  assert.deepEqual(r.facts.warnings, [`${f}: 2 packet blocks name an interface the section does not describe; skipped (the first: interface 5 in the block at byte ${second}; the section describes 1)`]);
  // From the command line: the report, the warning, exit 0.
  const cli = spawnSync(process.execPath, [join(REPO, 'bin', 'ucprobe.js'), 'analyze', '--json', f], { encoding: 'utf8' });
  assert.equal(cli.status, 0, cli.stderr);
  assert.equal(JSON.parse(cli.stdout).files[0].capture.packets, 1);
  assert.match(cli.stderr, /^ucprobe: warning: .*2 packet blocks name an interface the section does not describe; skipped/);
});
