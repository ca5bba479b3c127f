// Shared test helpers: where the public corpus lives, running tshark, and
// decoding a capture in-process through the same pipeline as the CLI.

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PacketRecord } from '../dissectors/types.js';
import { readCapture } from '../src/sources/capture-reader.js';
import { Pipeline, type PipelineOptions } from '../src/pipeline/pipeline.js';
import type { CaptureFacts } from '../src/sources/types.js';
import { validate, type Schema } from './json-schema.js';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
/**
 * The public corpus: UCPROBE_CORPUS, or ../shared/corpus beside the
 * repository (as CI has it); tests read it there and never copy it.
 */
export const CORPUS = process.env.UCPROBE_CORPUS ? resolve(process.env.UCPROBE_CORPUS) : join(REPO, '..', 'shared', 'corpus');
export const hasCorpus = existsSync(CORPUS);

/**
 * A test's `skip` when it needs the corpus: false when it is here, else a
 * short reason. A clone on its own has no corpus; the whole run then says so
 * once, on the first file that asks (the test runner is every file's parent,
 * so a marker named by its pid is written once per run).
 */
export const needsCorpus: string | false = hasCorpus ? false : 'needs the public corpus';
if (!hasCorpus) {
  try {
    writeFileSync(join(tmpdir(), `ucprobe-no-corpus-${process.ppid}`), '', { flag: 'wx' });
    process.stderr.write(`# no public corpus at ${CORPUS} (set UCPROBE_CORPUS to its folder): the tests that read it are skipped\n`);
  } catch {
    // another test file of this run said it already
  }
}

export function corpusCaptures(): string[] {
  if (!hasCorpus) return [];
  return readdirSync(CORPUS).filter((f) => /\.(pcap|pcapng)$/.test(f)).sort().map((f) => join(CORPUS, f));
}

export const hasTshark = spawnSync('tshark', ['--version'], { stdio: 'ignore' }).status === 0;

/** Files tshark itself cannot read to the end: checked by the reader tests instead. */
const TSHARK_UNREADABLE = new Set(['gopacket__le__test901.pcapng', 'ndpi__fuzz-2021-10-13.pcap']);

/** The captures bundled in captures/ (pcap, pcapng, gzipped or not). */
export function bundledCaptures(): string[] {
  return readdirSync(join(REPO, 'captures')).filter((f) => /\.(pcap|pcapng)(\.gz)?$/.test(f)).map((f) => join(REPO, 'captures', f));
}

/** Every bundled capture and every corpus capture that tshark reads whole: what the cross-checks compare on. */
export function tsharkReadableCaptures(): string[] {
  return [...bundledCaptures(), ...corpusCaptures()].filter((f) => !TSHARK_UNREADABLE.has(basename(f)));
}

/** Run tshark and return its stdout lines. */
export function tshark(args: string[]): string[] {
  // tshark exits non-zero on a file cut short but still prints what it read.
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] });
  return r.stdout.split('\n').filter((l) => l.length > 0);
}

/** Decode a capture through the pipeline; records are kept without their payload views. */
export async function decodeAll(path: string, opts: Partial<PipelineOptions> = {}): Promise<{ records: PacketRecord[]; facts: CaptureFacts }> {
  const records: PacketRecord[] = [];
  const pipeline = new Pipeline([(r) => records.push({ ...r, payload: null })], opts);
  const facts = await readCapture(path, pipeline.frame);
  return { records, facts };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll `cond` until it holds or `ms` pass; whether it held. */
export async function waitFor(cond: () => boolean | Promise<boolean>, ms = 5000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await cond()) return true;
    await sleep(10);
  }
  return false;
}

const ANALYZE_SCHEMA = JSON.parse(readFileSync(join(REPO, 'src', 'output', 'analyze.schema.json'), 'utf8')) as Schema;

/**
 * Run the built CLI (npm test builds it first). Every `analyze` JSON document
 * a test gets this way is held to src/output/analyze.schema.json first.
 */
export function runCli(args: string[], input?: Buffer): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(REPO, 'bin', 'ucprobe.js'), ...args], {
    input, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024,
  });
  const json = args.includes('--json') || args.join(' ').includes('--format json');
  if (args[0] === 'analyze' && json && r.stdout.startsWith('{')) {
    const broken = validate(JSON.parse(r.stdout), ANALYZE_SCHEMA);
    if (broken.length) throw new Error(`ucprobe ${args.join(' ')}: the JSON breaks src/output/analyze.schema.json:\n${broken.slice(0, 10).join('\n')}`);
  }
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** tshark's `-z sip,stat`: the message total, requests by method, responses by code. */
export interface TsharkSipStat {
  messages: number;
  requests: Record<string, number>;
  responses: Record<string, number>;
}

export function tsharkSipStat(file: string): TsharkSipStat {
  const c: TsharkSipStat = { messages: 0, requests: {}, responses: {} };
  let section = '';
  for (const line of tshark(['-n', '-q', '-r', file, '-z', 'sip,stat'])) {
    const total = /^Number of SIP messages: (\d+)/.exec(line);
    if (total) c.messages = Number(total[1]);
    if (line.startsWith('* ')) section = line;
    const code = /^\s+SIP (\d{3}) .*:\s+(\d+) Packets$/.exec(line);
    if (code && section.includes('Status Codes')) c.responses[code[1]] = (c.responses[code[1]] ?? 0) + Number(code[2]);
    const method = /^\s+(\S+)\s+:\s+(\d+) Packets$/.exec(line);
    if (method && section.includes('Request methods')) c.requests[method[1]] = Number(method[2]);
  }
  return c;
}
