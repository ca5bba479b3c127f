// `ucprobe replay <capture>`: resend the heartbeat streams a capture holds to
// a new destination on their original timing (scaled by --speed), each from
// its own socket, optionally through the loss models; --list shows them.

import { Command, Option } from 'commander';
import type { ByteOrder } from '../../dissectors/types.js';
import { generate, type StreamSpec } from '../generator/generate.js';
import type { Impairments } from '../generator/impairments.js';
import { collectHeartbeatStreams, meanIntervalMs, ReplayError, ReplaySource, seqAt, type CaptureStreams, type CapturedStream } from '../generator/replay-source.js';
import { SentWriter } from '../generator/sent-writer.js';
import { replaySummaryJson, replaySummaryText, streamListing, streamListText } from '../output/replay-text.js';
import { StdoutWriter } from '../output/stdout-writer.js';
import { decodeOptions, pipelineOptions, type DecodeFlags } from './options.js';
import { impairmentsFromFlags, lossOptions, type LossFlags } from './loss-flags.js';
import { dscp, hostPort, localEndpoint } from './parse.js';
import { UsageError } from '../common/errors.js';
import { replayPaced } from '../sources/paced-replay.js';
import { detectorFlags } from './options.js';
import { hepOptions, hepSettings, startHep, type HepFlags, type HepRun, type HepSettings } from './hep-options.js';
import type { HepCounters } from '../hep/sender.js';
import { jsonText } from '../output/json-text.js';

interface ReplayFlags extends DecodeFlags, LossFlags, HepFlags {
  to?: string;
  from?: string;
  speed: string;
  stream: string[];
  list?: boolean;
  byteOrder?: ByteOrder;
  dscp?: string;
  write?: string;
  json?: boolean;
}

export const MAX_SPEED = 1000;
/** One socket per stream: past this many, pick streams with --stream. */
export const MAX_REPLAY_STREAMS = 1000;

const collect = (v: string, prev: string[]): string[] => [...prev, v];

export function speedFactor(text: string): number {
  const m = /^\d+(?:\.\d+)?$/.test(text.trim()) ? Number(text) : NaN;
  if (!(m > 0 && m <= MAX_SPEED)) throw new UsageError(`--speed: expected a factor more than 0 and at most ${MAX_SPEED} (2 plays twice as fast), got '${text}'`);
  return m;
}

/** The streams `picks` name (flow keys or 1-based indices as --list numbers them), in capture order; all when none. */
export function selectStreams(cs: CaptureStreams, picks: readonly string[], file: string): CapturedStream[] {
  if (!picks.length) return cs.streams;
  const chosen = new Set<CapturedStream>();
  for (const p of picks) {
    const n = /^\d+$/.test(p) ? Number(p) : NaN;
    const s = cs.streams[n - 1] ?? cs.streams.find((x) => x.key === p.trim());
    if (!s) throw new UsageError(`--stream: no heartbeat stream '${p}' in ${file}; it has ${cs.streams.map((x, i) => `${i + 1} ${x.key}`).join(', ')}`);
    chosen.add(s);
  }
  return cs.streams.filter((s) => chosen.has(s));
}

export interface ReplayTarget {
  host: string;
  port: number;
  bind?: string;
  /** The first stream's source port; the next streams take the ports after it (0: any). */
  sourcePort?: number;
  speed: number;
  byteOrder?: ByteOrder;
  /** A DSCP for every stream, 'keep' for each stream's captured one, undefined for none. */
  dscp?: number | 'keep';
  impairments?: Impairments;
}

/** One generator stream per captured one, all on one clock: t0 is the first heartbeat of any of them. */
export function replaySpecs(streams: readonly CapturedStream[], t: ReplayTarget): StreamSpec[] {
  const t0 = Math.min(...streams.map((s) => s.times[0]));
  return streams.map((s, i): StreamSpec => {
    const sourcePort = t.sourcePort ? t.sourcePort + i : undefined;
    if (sourcePort !== undefined && sourcePort > 65535) throw new UsageError(`--from: ${streams.length} streams need source ports ${t.sourcePort}..${t.sourcePort! + streams.length - 1}, past 65535`);
    // Different seeds, or every stream would lose the very same slots.
    const impairments = t.impairments ? { ...t.impairments, seed: ((t.impairments.seed ?? 1) + i) >>> 0 } : undefined;
    const slots = new ReplaySource(s, { t0, speed: t.speed, byteOrder: t.byteOrder, impairments });
    return {
      name: s.key, host: t.host, port: t.port, bind: t.bind, sourcePort,
      intervalMs: meanIntervalMs(s) / t.speed, startSeq: seqAt(s, 0), byteOrder: slots.byteOrder, count: s.count,
      dscp: t.dscp === 'keep' ? s.dscp : t.dscp, impairments, slots,
    };
  });
}

export function addReplayCommand(program: Command): void {
  const cmd = program
    .command('replay')
    .description('resend the heartbeat streams of a capture to a new destination on their original timing, optionally with loss')
    .argument('<capture>', "pcap or pcapng file, optionally gzipped; '-' reads stdin")
    .option('--to <host:port>', 'destination of every replayed stream (not needed with --hep: then only HEP is sent)')
    .option('--from <[addr:]port>', "local address and the first stream's source port (the next streams take the following ports)")
    .option('--speed <factor>', `time scale: 2 plays twice as fast (0 < factor <= ${MAX_SPEED})`, '1')
    .option('--stream <key|n>', 'replay only this stream: a flow key as analyze prints it, or its number in --list (repeatable)', collect, [])
    .option('--list', 'print the heartbeat streams the capture holds and exit')
    .addOption(new Option('--byte-order <order>', 'send the DWORD in this order (default: as captured)').choices(['le', 'be']))
    .option('--dscp <name|n|keep>', "mark the datagrams (EF, CS3, AF31, 46 ...; 'keep': each stream's captured marking)");
  for (const o of [...lossOptions(), ...decodeOptions(), ...hepOptions()]) cmd.addOption(o);
  cmd
    .option('--write <file.pcapng>', 'also write what was sent (and a note of what was withheld)')
    .option('--json', 'the summary (or the --list) as JSON')
    .action(async (file: string, flags: ReplayFlags) => {
      const speed = speedFactor(flags.speed);
      const hepWanted = flags.list ? null : hepSettings(flags);
      if (!flags.list && flags.to === undefined && !hepWanted) throw new UsageError("required option '--to <host:port>' not specified (or --hep URL, or --list)");
      const to = flags.to !== undefined ? hostPort(flags.to, '--to') : null;
      const from = flags.from ? localEndpoint(flags.from, '--from') : undefined;
      const mark = flags.dscp === undefined ? undefined : flags.dscp.toLowerCase() === 'keep' ? 'keep' as const : dscp(flags.dscp, '--dscp');
      const impairments = impairmentsFromFlags(flags);
      if (!flags.list && to === null) {
        // --hep alone: the capture's SIP and heartbeat events as HEP, on its timing; nothing is resent as heartbeats.
        const resendOnly = Object.keys(impairments).length > 1 || flags.from || flags.dscp || flags.byteOrder || flags.write || flags.stream.length;
        if (resendOnly) throw new UsageError('--from, --dscp, --byte-order, --stream, --write and the loss options shape the resent heartbeats: they need --to');
        await replayHepOnly(file, flags, hepWanted!, speed);
        return;
      }
      const cs = await collectHeartbeatStreams(file, pipelineOptions(flags));
      for (const w of cs.facts.warnings) process.stderr.write(`ucprobe: warning: ${w}\n`);
      if (!cs.streams.length) throw new ReplayError(`${file}: no heartbeat streams to replay (${cs.facts.packets} packets read; see --hb-ports)`);
      const out = new StdoutWriter();
      if (flags.list) {
        out.line(flags.json ? jsonText({ capture: file, streams: streamListing(cs) }, 2) : streamListText(file, cs));
        out.flush();
        return;
      }
      const streams = selectStreams(cs, flags.stream, file);
      if (streams.length > MAX_REPLAY_STREAMS) throw new UsageError(`${file}: ${streams.length} heartbeat streams; replay opens one socket each, at most ${MAX_REPLAY_STREAMS}: pick some with --stream`);
      const specs = replaySpecs(streams, { host: to!.host, port: to!.port, bind: from?.bind, sourcePort: from?.port, speed, byteOrder: flags.byteOrder, dscp: mark, impairments });
      if (!flags.json) {
        const span = Math.max(...streams.map((s) => s.times[s.count - 1])) - Math.min(...streams.map((s) => s.times[0]));
        const beats = streams.reduce((n, s) => n + s.count, 0);
        out.line(`replaying ${streams.length} stream${streams.length === 1 ? '' : 's'} (${beats} heartbeats, ${span.toFixed(3)} s captured) to ${flags.to} at speed ${speed}: ${(span / speed).toFixed(2)} s (Ctrl-C to stop)`);
        out.flush();
      }
      const writer = flags.write ? new SentWriter(flags.write) : null;
      const stop = new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      // --hep beside --to: the whole capture's SIP and events as HEP, on the same timing as the heartbeats.
      const hep = hepWanted ? await startHep(hepWanted, pipelineOptions(flags), detectorFlags(flags)) : null;
      const hepStop = new AbortController();
      void stop.then(() => hepStop.abort());
      const hepSent = hep ? replayAsHep(file, hep, speed, hepStop.signal) : null;
      const summary = await generate(specs, { onSend: writer?.add, stop });
      writer?.close(summary);
      const hepCounters = hepSent ? await hepSent : null;
      const json = hepCounters ? { ...replaySummaryJson(file, summary, streams, speed), hep: { url: hepWanted!.url.text, ...hepCounters } } : replaySummaryJson(file, summary, streams, speed);
      out.line(flags.json ? jsonText(json, 2) : replaySummaryText(summary, streams, speed));
      out.flush();
    });
}

/** The capture through the pipeline at its own pace into the HEP sink; resolves with what was sent. */
async function replayAsHep(file: string, hep: HepRun, speed: number, signal: AbortSignal): Promise<HepCounters> {
  const replay = replayPaced(file, hep.frame, { speed, signal });
  let lastTs: number | null;
  try {
    lastTs = (await replay.done).lastTs;
  } catch (e) {
    await hep.abort();
    throw e;
  }
  for (const w of replay.facts.warnings) process.stderr.write(`ucprobe: warning: ${w}\n`);
  // Stopped early: trailing silence is not loss, the capture went on.
  return hep.finish(signal.aborted ? null : lastTs);
}

/** `replay FILE --hep URL` without --to. */
async function replayHepOnly(file: string, flags: ReplayFlags, settings: HepSettings, speed: number): Promise<void> {
  const out = new StdoutWriter();
  const hep = await startHep(settings, pipelineOptions(flags), detectorFlags(flags));
  if (!flags.json) {
    out.line(`replaying the SIP messages and heartbeat events of ${file} as HEP to ${settings.url.text} at speed ${speed}, on the capture's timing (Ctrl-C to stop)`);
    out.flush();
  }
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  process.once('SIGTERM', () => stop.abort());
  const c = await replayAsHep(file, hep, speed, stop.signal);
  if (flags.json) {
    out.line(jsonText({ capture: file, speed, hep: { url: settings.url.text, ...c } }, 2));
    out.flush();
  }
}
