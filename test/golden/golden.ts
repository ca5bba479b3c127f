// The golden outputs: what `analyze` (text, JSON, each CSV table, pb) and
// `report` (HTML) print for the demo, every corpus capture and small captures
// of the benchmark's shapes, run in-process through the CLI's own `main` (the
// same argument parsing and defaults a user gets, in a fraction of the time a
// fresh node per command takes). test/golden-outputs.test.ts compares them
// with the pins in pins.json; update.ts rewrites the pins.
//
// Every command runs in a work folder of its own, on relative paths:
//   captures/ -> the repository's captures/ (a symlink)
//   corpus/   -> the public corpus (a symlink; absent when the corpus is)
//   bench/    -> captures written here by the bench's writers
// so the outputs name the same files on every machine, and nothing has to be
// rewritten for where the repository or the corpus lives.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import protobuf from 'protobufjs';
import { main, type RunSeams } from '../../src/cli/main.js';
import { recordMessageType } from '../../src/pb/schema.js';
import { writeMixedCapture } from '../../captures/make-captures.js';
import { writeIpv6Copy } from '../bench/ipv6-copy.js';
import { writeSipOnlyCapture } from '../bench/sip-only.js';
import { CORPUS, hasCorpus, REPO } from '../helpers.js';

export const GOLDEN_DIR = join(REPO, 'test', 'golden');
export const PINS_FILE = join(GOLDEN_DIR, 'pins.json');
/** The full analyze text of the inputs a reviewer reads diffs of (not the corpus: pinned by hash only). */
export const TEXT_DIR = join(GOLDEN_DIR, 'text');
export const UPDATE_COMMAND = 'node --import tsx test/golden/update.ts';

/** The bench's shapes, small: 20,000 packets each, written fresh each run. */
const MIXED = 'bench/mixed-20k-seed7.pcap';
const MIXED_V6 = 'bench/mixed-20k-seed7-ipv6.pcap';
const SIP_ONLY = 'bench/sip-only-20k.pcap';
const BENCH_PACKETS = 20_000;

/** Inputs whose analyze text is kept whole in text/ beside its hash. */
export const TEXT_INPUTS = ['captures/demo.pcap', MIXED, MIXED_V6, SIP_ONLY];

/** input name -> output name -> sha256 of the (normalized) output. */
export type Pins = Record<string, Record<string, string>>;

interface OutputSpec {
  name: string;
  args: (input: string) => string[];
}

/** Each output, as the command a user types (main adds `-o FILE`). */
export const OUTPUTS: OutputSpec[] = [
  { name: 'analyze.txt', args: (f) => ['analyze', f] },
  { name: 'analyze.json', args: (f) => ['analyze', '--json', f] },
  ...(['streams', 'flows', 'calls', 'rtp'] as const).map((t) => ({ name: `analyze-${t}.csv`, args: (f: string) => ['analyze', '--format', 'csv', '--table', t, f] })),
  { name: 'analyze.pb', args: (f) => ['analyze', '--format', 'pb', f] },
  { name: 'report.html', args: (f) => ['report', f] },
];

/** The corpus captures by their names in the work folder (none without the corpus). */
export function corpusInputs(): string[] {
  return hasCorpus ? readdirSync(CORPUS).filter((f) => /\.(pcap|pcapng)$/.test(f)).sort().map((f) => `corpus/${f}`) : [];
}

/** Every input, by its name in the work folder: the demo, each corpus capture, the bench shapes. */
export function inputNames(): string[] {
  return ['captures/demo.pcap', ...corpusInputs(), MIXED, MIXED_V6, SIP_ONLY];
}

/** A work folder with captures/, corpus/ (when present) and bench/ filled in; `cleanup` removes it. */
export async function prepareInputs(): Promise<{ dir: string; cleanup: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'ucprobe-golden-'));
  symlinkSync(join(REPO, 'captures'), join(dir, 'captures'));
  if (hasCorpus) symlinkSync(CORPUS, join(dir, 'corpus'));
  mkdirSync(join(dir, 'bench'));
  writeBenchShapes(join(dir, 'bench'));
  await writeIpv6Copy(join(dir, MIXED), join(dir, MIXED_V6));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * The bench's mixed shape (as `npm run bench` writes it, seed 7) and its
 * SIP-only shape, 20,000 packets each, into `benchDir`.
 */
export function writeBenchShapes(benchDir: string): void {
  writeMixedCapture(join(benchDir, basename(MIXED)), { packets: BENCH_PACKETS, seed: 7 });
  writeSipOnlyCapture(join(benchDir, basename(SIP_ONLY)), BENCH_PACKETS);
}

class ExitCalled extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/**
 * Run one ucprobe command in-process, in `dir`, writing to `out`; its exit
 * status (process.exit is caught, not taken) and what it said on stderr.
 * `seams`: what no command line sets (a split file's parts read in this thread).
 */
export async function runInProcess(dir: string, args: string[], out: string, seams: RunSeams = {}): Promise<{ code: number; stderr: string }> {
  const cwd = process.cwd();
  const exit = process.exit;
  const writeErr = process.stderr.write;
  let stderr = '';
  let code: number | null = null;
  process.chdir(dir);
  process.exit = ((c?: number) => {
    code ??= c ?? 0;
    throw new ExitCalled(c ?? 0);
  }) as typeof process.exit;
  process.stderr.write = ((s: string | Uint8Array) => {
    if (code === null) stderr += typeof s === 'string' ? s : Buffer.from(s).toString();
    return true;
  }) as typeof process.stderr.write;
  try {
    await main(['node', 'ucprobe', ...args, '-o', out], seams);
  } catch (e) {
    // main turns an error into a line and an exit. The first exit is the status: the ExitCalled it
    // throws goes through main's own catch, which calls exit again ("internal error"), not the command.
    if (!(e instanceof ExitCalled)) throw e;
  } finally {
    process.chdir(cwd);
    process.exit = exit;
    process.stderr.write = writeErr;
  }
  return { code: code ?? 0, stderr };
}

const PB_VERSION = '<version>';

/**
 * What varies from run to run or release to release, and nothing else, is
 * rewritten before hashing:
 * - report.html: the "generated <time> by ucprobe <version>" line (the wall
 *   clock when it was written) and the generator meta tag's version;
 * - analyze.pb: the Header record's writtenAt (the wall clock) is set to 0 and
 *   its toolVersion to "<version>"; the Header is re-encoded and every later
 *   byte is kept as written.
 */
export function normalize(output: string, bytes: Buffer): Buffer {
  if (output.endsWith('.html')) {
    return Buffer.from(bytes.toString('utf8')
      .replace(/generated \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ by ucprobe [^<\s]+/g, 'generated <time> by ucprobe <version>')
      .replace(/(<meta name="generator" content="ucprobe )[^"]*"/g, '$1<version>"'));
  }
  if (output.endsWith('.pb')) return normalizePbHeader(bytes);
  return bytes;
}

function normalizePbHeader(bytes: Buffer): Buffer {
  const type = recordMessageType();
  const reader = protobuf.Reader.create(bytes);
  const header = type.toObject(type.decodeDelimited(reader), { longs: Number });
  const rest = bytes.subarray(reader.pos);
  // Re-encoding must give back the bytes as written, or rewriting would hide other changes.
  const same = Buffer.from(type.encodeDelimited(type.fromObject(header)).finish());
  if (!same.equals(bytes.subarray(0, reader.pos))) throw new Error('the pb Header does not re-encode to the same bytes');
  if (!header.header) throw new Error('the pb stream does not start with a Header');
  header.header.writtenAt = 0;
  header.header.toolVersion = PB_VERSION;
  return Buffer.concat([Buffer.from(type.encodeDelimited(type.fromObject(header)).finish()), rest]);
}

export const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Every output of one input, normalized; a command's failure (exit 2 on a broken capture) is part of its output. */
export async function outputsOf(dir: string, input: string): Promise<Map<string, Buffer>> {
  const got = new Map<string, Buffer>();
  for (const spec of OUTPUTS) {
    const out = join(dir, 'out', `${input.replace(/\//g, '__')}.${spec.name}`);
    mkdirSync(join(dir, 'out'), { recursive: true });
    const { code, stderr } = await runInProcess(dir, spec.args(input), out);
    if (code !== 0 && code !== 2) throw new Error(`ucprobe ${spec.args(input).join(' ')}: exit ${code}: ${stderr.trim()}`);
    if (!existsSync(out)) throw new Error(`ucprobe ${spec.args(input).join(' ')}: wrote nothing (exit ${code}): ${stderr.trim()}`);
    got.set(spec.name, normalize(spec.name, readFileSync(out)));
  }
  return got;
}

/** Pins as stored: inputs, then outputs, sorted; one line each, so a diff names what changed. */
export function pinsText(pins: Pins): string {
  const sorted: Pins = {};
  for (const input of Object.keys(pins).sort()) {
    sorted[input] = {};
    for (const output of Object.keys(pins[input]).sort()) sorted[input][output] = pins[input][output];
  }
  return `${JSON.stringify(sorted, null, 2)}\n`;
}

export function readPins(): Pins {
  return existsSync(PINS_FILE) ? (JSON.parse(readFileSync(PINS_FILE, 'utf8')) as Pins) : {};
}

/** Where an input's analyze text is kept whole. */
export function textFile(input: string): string {
  return join(TEXT_DIR, `${input.replace(/\//g, '__')}.txt`);
}

export function writeText(input: string, text: Buffer): void {
  mkdirSync(TEXT_DIR, { recursive: true });
  writeFileSync(textFile(input), text);
}
