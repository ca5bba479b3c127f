// `ucprobe generate`: one heartbeat stream from flags, with its loss models;
// prints what was sent and withheld and the send-time error at the end.

import { Command, Option } from 'commander';
import { generate, type StreamSpec } from '../generator/generate.js';
import type { Impairments } from '../generator/impairments.js';
import { SentWriter } from '../generator/sent-writer.js';
import { generateSummaryText, summaryJson } from '../output/generate-text.js';
import { loadStreamFile } from './scenario-file.js';
import { streamSpec } from '../run/run.js';
import { StdoutWriter } from '../output/stdout-writer.js';
import { durationMs, dscp, hostPort, localEndpoint, pause, restartAt, wholeNumber } from './parse.js';
import { impairmentsFromFlags, lossOptions, type LossFlags } from './loss-flags.js';
import { UsageError } from '../common/errors.js';

interface GenerateFlags extends LossFlags {
  to?: string;
  streams?: string;
  from?: string;
  interval: string;
  startSeq: string;
  byteOrder: 'le' | 'be';
  count?: string;
  duration?: string;
  dscp?: string;
  pause: string[];
  restartAt: string[];
  write?: string;
  json?: boolean;
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

export function addGenerateCommand(program: Command): void {
  const cmd = program
    .command('generate')
    .description('send a heartbeat stream over UDP with injected loss, delay, duplication, reordering, pauses and restarts')
    .option('--to <host:port>', 'destination of the heartbeats (with --streams: of the streams that name none)')
    .option('--streams <file>', 'many streams at once from a YAML/JSON file (see examples/streams.yaml); the stream flags then do not apply')
    .option('--from <[addr:]port>', 'local source port (and address)')
    .option('--interval <ms>', 'time between heartbeats', '100')
    .option('--start-seq <n>', 'first sequence number', '0')
    .addOption(new Option('--byte-order <order>', 'byte order of the DWORD').choices(['le', 'be']).default('le'))
    .option('--count <n>', 'heartbeat slots to run (sent or withheld)')
    .option('--duration <time>', 'how long to run, e.g. 30s (default: until Ctrl-C)')
    .option('--dscp <name|n>', 'mark the datagrams (EF, CS3, AF31, 46 ...)')
    .option('--pause <at+for>', 'stall the sender, e.g. 3s+2s (repeatable)', collect, [])
    .option('--restart-at <time|seq:N>', 'cycle the sender: sequence back to 0 (repeatable)', collect, [])
    .option('--write <file.pcapng>', 'also write what was sent (and a note of what was withheld)')
    .option('--json', 'the summary as JSON');
  for (const o of lossOptions()) cmd.addOption(o);
  cmd.action(async (flags: GenerateFlags) => {
    const specs = flags.streams ? streamsFromFile(flags.streams, flags.to) : [streamFromFlags(flags)];
    const writer = flags.write ? new SentWriter(flags.write) : null;
    const stop = new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    const summary = await generate(specs, { onSend: writer?.add, stop });
    writer?.close(summary);
    const out = new StdoutWriter();
    out.line(flags.json ? JSON.stringify(summaryJson(summary), null, 2) : generateSummaryText(summary));
    out.flush();
  });
}

function streamsFromFile(file: string, to: string | undefined): StreamSpec[] {
  const target = to !== undefined ? hostPort(to, '--to') : null;
  return loadStreamFile(file, target !== null).map((s, i, all) => streamSpec(s, target ?? { host: '', port: 0 }, i, all.length));
}

function streamFromFlags(f: GenerateFlags): StreamSpec {
  if (f.to === undefined) throw new UsageError("required option '--to <host:port>' not specified (or give --streams FILE)");
  const to = hostPort(f.to, '--to');
  const from = f.from ? localEndpoint(f.from, '--from') : undefined;
  const intervalMs = durationMs(f.interval, '--interval');
  if (intervalMs <= 0) throw new UsageError('--interval: must be more than 0');
  if (f.count !== undefined && f.duration !== undefined) throw new UsageError('--count and --duration: give one of them');
  const count = f.count !== undefined ? wholeNumber(f.count, '--count')
    : f.duration !== undefined ? Math.floor(durationMs(f.duration, '--duration', 's') / intervalMs)
    : Number.MAX_SAFE_INTEGER;
  const imp: Impairments = impairmentsFromFlags(f);
  if (f.pause.length) imp.pauses = f.pause.map((p) => pause(p, '--pause'));
  if (f.restartAt.length) imp.restarts = f.restartAt.map((r) => restartAt(r, '--restart-at'));
  return {
    name: `${f.from ?? 'any'}>${f.to}`,
    host: to.host, port: to.port, bind: from?.bind, sourcePort: from?.port,
    intervalMs, startSeq: wholeNumber(f.startSeq, '--start-seq', 0xffffffff), byteOrder: f.byteOrder, count,
    dscp: f.dscp !== undefined ? dscp(f.dscp, '--dscp') : undefined,
    impairments: imp,
  };
}
