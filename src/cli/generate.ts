// `ucprobe generate`: one heartbeat stream from flags, with its loss models;
// prints what was sent and withheld and the send-time error at the end.

import { Command, Option } from 'commander';
import { generate, type GenerateSummary, type StreamSpec } from '../generator/generate.js';
import type { Impairments } from '../generator/impairments.js';
import { SentWriter } from '../generator/sent-writer.js';
import { table } from '../output/table.js';
import { StdoutWriter } from '../output/stdout-writer.js';
import { durationMs, dscp, hostPort, localEndpoint, probability, seqRanges, wholeNumber } from './parse.js';
import { UsageError } from './errors.js';

interface GenerateFlags {
  to: string;
  from?: string;
  interval: string;
  startSeq: string;
  byteOrder: 'le' | 'be';
  count?: string;
  duration?: string;
  dscp?: string;
  drop?: string;
  burst: string[];
  loss?: string;
  gemodel?: string;
  delay?: string;
  jitter?: string;
  duplicate?: string;
  reorder?: string;
  pause: string[];
  restartAt: string[];
  seed: string;
  write?: string;
  json?: boolean;
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

export function addGenerateCommand(program: Command): void {
  program
    .command('generate')
    .description('send a heartbeat stream over UDP with injected loss, delay, duplication, reordering, pauses and restarts')
    .requiredOption('--to <host:port>', 'destination of the heartbeats')
    .option('--from <[addr:]port>', 'local source port (and address)')
    .option('--interval <ms>', 'time between heartbeats', '100')
    .option('--start-seq <n>', 'first sequence number', '0')
    .addOption(new Option('--byte-order <order>', 'byte order of the DWORD').choices(['le', 'be']).default('le'))
    .option('--count <n>', 'heartbeat slots to run (sent or withheld)')
    .option('--duration <time>', 'how long to run, e.g. 30s (default: until Ctrl-C)')
    .option('--dscp <name|n>', 'mark the datagrams (EF, CS3, AF31, 46 ...)')
    .option('--drop <seqs>', 'never send these sequence numbers, e.g. 100-104,200')
    .option('--burst <n@where>', 'lose n in a row from seq:S or a time like 2s (repeatable)', collect, [])
    .option('--loss <p>', 'independent loss probability (0.01 or 1%)')
    .option('--gemodel <p,r,1-h,1-k>', "Gilbert-Elliott burst loss in percent, as netem's gemodel")
    .option('--delay <ms>', 'extra delay on every datagram')
    .option('--jitter <ms>', '± uniform jitter on every datagram')
    .option('--duplicate <p>', 'probability a datagram is sent twice')
    .option('--reorder <p>', 'probability a datagram is held back behind the next one')
    .option('--pause <at+for>', 'stall the sender, e.g. 3s+2s (repeatable)', collect, [])
    .option('--restart-at <time|seq:N>', 'cycle the sender: sequence back to 0 (repeatable)', collect, [])
    .option('--seed <n>', 'seed for the random models', '1')
    .option('--write <file.pcapng>', 'also write what was sent (and a note of what was withheld)')
    .option('--json', 'the summary as JSON')
    .action(async (flags: GenerateFlags) => {
      const spec = streamFromFlags(flags);
      const writer = flags.write ? new SentWriter(flags.write) : null;
      const stop = new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
      const summary = await generate([spec], { onSend: writer?.add, stop });
      writer?.close(summary);
      const out = new StdoutWriter();
      out.line(flags.json ? JSON.stringify(summaryJson(summary), null, 2) : generateSummaryText(summary));
      out.flush();
    });
}

function streamFromFlags(f: GenerateFlags): StreamSpec {
  const to = hostPort(f.to, '--to');
  const from = f.from ? localEndpoint(f.from, '--from') : undefined;
  const intervalMs = durationMs(f.interval, '--interval');
  if (intervalMs <= 0) throw new UsageError('--interval: must be more than 0');
  if (f.count !== undefined && f.duration !== undefined) throw new UsageError('--count and --duration: give one of them');
  const count = f.count !== undefined ? wholeNumber(f.count, '--count')
    : f.duration !== undefined ? Math.floor(durationMs(f.duration, '--duration', 's') / intervalMs)
    : Number.MAX_SAFE_INTEGER;
  const imp: Impairments = { seed: wholeNumber(f.seed, '--seed', 0xffffffff) };
  if (f.drop) imp.drop = seqRanges(f.drop, '--drop');
  if (f.burst.length) imp.bursts = f.burst.map((b) => burst(b));
  if (f.loss) imp.loss = probability(f.loss, '--loss');
  if (f.gemodel) imp.gemodel = gemodel(f.gemodel);
  if (f.delay) imp.delayMs = durationMs(f.delay, '--delay');
  if (f.jitter) imp.jitterMs = durationMs(f.jitter, '--jitter');
  if (f.duplicate) imp.duplicate = probability(f.duplicate, '--duplicate');
  if (f.reorder) imp.reorder = probability(f.reorder, '--reorder');
  if (f.pause.length) imp.pauses = f.pause.map((p) => pause(p));
  if (f.restartAt.length) imp.restarts = f.restartAt.map((r) => (r.startsWith('seq:') ? { atSeq: wholeNumber(r.slice(4), '--restart-at') } : { atMs: durationMs(r, '--restart-at', 's') }));
  return {
    name: `${f.from ?? 'any'}>${f.to}`,
    host: to.host, port: to.port, bind: from?.bind, sourcePort: from?.port,
    intervalMs, startSeq: wholeNumber(f.startSeq, '--start-seq', 0xffffffff), byteOrder: f.byteOrder, count,
    dscp: f.dscp !== undefined ? dscp(f.dscp, '--dscp') : undefined,
    impairments: imp,
  };
}

function burst(text: string): { count: number; atSeq?: number; atMs?: number } {
  const m = /^(\d+)@(seq:(\d+)|.+)$/.exec(text);
  if (!m) throw new UsageError(`--burst: expected n@seq:S or n@TIME like 5@seq:100 or 5@2s, got '${text}'`);
  const count = wholeNumber(m[1], '--burst');
  return m[3] !== undefined ? { count, atSeq: wholeNumber(m[3], '--burst') } : { count, atMs: durationMs(m[2], '--burst', 's') };
}

function pause(text: string): { atMs: number; forMs: number } {
  const [at, len] = text.split('+');
  if (len === undefined) throw new UsageError(`--pause: expected AT+FOR like 3s+2s, got '${text}'`);
  return { atMs: durationMs(at, '--pause', 's'), forMs: durationMs(len, '--pause', 's') };
}

function gemodel(text: string): NonNullable<Impairments['gemodel']> {
  const parts = text.split(',').map((x) => Number(x.trim().replace(/%$/, '')));
  if (parts.length < 1 || parts.length > 4 || parts.some((x) => !Number.isFinite(x) || x < 0 || x > 100)) {
    throw new UsageError(`--gemodel: expected p[,r[,1-h[,1-k]]] in percent like 1,25,100,0, got '${text}'`);
  }
  const [p, r, lossBad, lossGood] = parts;
  return { p, r, lossBad, lossGood };
}

export function generateSummaryText(s: GenerateSummary): string {
  const rows = s.streams.map((r) => [
    `${r.local.address}:${r.local.port}>${r.address}:${r.spec.port}`, r.spec.byteOrder, r.spec.dscp ?? 0, r.sent,
    r.withheld.drop + r.withheld.burst, r.withheld.loss + r.withheld.gemodel, r.withheld.pause, r.duplicates, r.restarts, r.refused,
  ]);
  const e = s.sendErrorMs;
  return [
    table(['stream', 'order', 'dscp', 'sent', 'dropped', 'random loss', 'paused', 'dup', 'restarts', 'refused'], rows),
    `  send-time error ms p50/p99/max: ${e ? `${e.p50.toFixed(3)}/${e.p99.toFixed(3)}/${e.max.toFixed(3)}` : '-'} over ${s.seconds.toFixed(2)} s`,
  ].join('\n');
}

/** The summary without the specs' internals: what a script reads. */
export function summaryJson(s: GenerateSummary): object {
  return {
    seconds: s.seconds,
    sendErrorMs: s.sendErrorMs,
    streams: s.streams.map((r) => ({
      src: r.local.address, sport: r.local.port, dst: r.address, dport: r.spec.port, byteOrder: r.spec.byteOrder, dscp: r.spec.dscp ?? 0,
      sent: r.sent, withheld: r.withheld, duplicates: r.duplicates, restarts: r.restarts, refused: r.refused,
    })),
  };
}
