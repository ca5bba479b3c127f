// --hep, --hep-id and --hep-password, shared by dissect, live and replay:
// the flags, their checks, and a run's sender + sink with its closing line.

import { Option } from 'commander';
import { Pipeline, type PipelineOptions } from '../pipeline/pipeline.js';
import type { DetectorParams } from '../heartbeat/params.js';
import { newFacts, type CaptureFacts, type FrameHandler } from '../sources/types.js';
import { fileChunks, readCapture, readCaptureStream } from '../sources/capture-reader.js';
import { HepSink } from '../hep/sink.js';
import { DEFAULT_HEP_UDP_RATE, hepSummaryLine, HepSendError, openHepSender, parseHepUrl, type HepCounters, type HepSender, type HepUrl } from '../hep/sender.js';
import { UsageError } from '../common/errors.js';

/** heplify's and sngrep's default capture agent id: Homer setups already expect it. */
export const DEFAULT_HEP_ID = 2002;

export interface HepFlags {
  hep?: string;
  hepId?: string;
  hepPassword?: string;
  hepRate?: string;
}

/** Fresh Option objects each call: commander binds an Option to one command. */
export const hepOptions = (): Option[] => [
  new Option('--hep <url>', 'also send SIP messages and heartbeat events as HEPv3 to a Homer collector: udp://host:9060 or tcp://host:9060'),
  new Option('--hep-id <n>', `with --hep: capture agent id (default ${DEFAULT_HEP_ID}, as heplify and sngrep)`),
  new Option('--hep-password <key>', 'with --hep: auth key sent in every packet (chunk 0x000e)'),
  new Option('--hep-rate <packets/s>', `with --hep udp://: send at most this many packets a second (default ${DEFAULT_HEP_UDP_RATE}; 0: no limit)`),
];

export interface HepSettings {
  url: HepUrl;
  captureId: number;
  authKey: string | null;
  /** UDP packets per second at most; 0 for no limit. */
  udpRate: number;
}

/** The checked flags; null without --hep. */
export function hepSettings(f: HepFlags): HepSettings | null {
  if (f.hep === undefined) {
    if (f.hepId !== undefined || f.hepPassword !== undefined || f.hepRate !== undefined) throw new UsageError('--hep-id, --hep-password and --hep-rate need --hep URL');
    return null;
  }
  const url = parseHepUrl(f.hep);
  if (!url) throw new UsageError(`--hep: expected udp://host:port or tcp://host:port (IPv6 as [addr]), got '${f.hep}'`);
  let captureId = DEFAULT_HEP_ID;
  if (f.hepId !== undefined) {
    captureId = /^\d{1,10}$/.test(f.hepId.trim()) ? Number(f.hepId) : NaN;
    if (!(captureId <= 0xffffffff)) throw new UsageError(`--hep-id: expected a whole number up to 4294967295, got '${f.hepId}'`);
  }
  if (f.hepPassword === '') throw new UsageError('--hep-password: empty key');
  let udpRate = DEFAULT_HEP_UDP_RATE;
  if (f.hepRate !== undefined) {
    udpRate = /^\d{1,9}$/.test(f.hepRate.trim()) ? Number(f.hepRate) : NaN;
    if (Number.isNaN(udpRate)) throw new UsageError(`--hep-rate: expected packets per second (0: no limit), got '${f.hepRate}'`);
    if (url.transport === 'tcp') throw new UsageError('--hep-rate paces UDP; over TCP the collector sets the pace');
  }
  return { url, captureId, authKey: f.hepPassword ?? null, udpRate };
}

/** One run's HEP output: the sink (a pipeline consumer), a pipeline of its own when the caller has none to share, the sender. */
export interface HepRun {
  readonly sink: HepSink;
  readonly sender: HepSender;
  /** Frames through a pipeline that feeds only the sink (replay, which has no pipeline of its own to share). */
  readonly frame: FrameHandler;
  /** Read a capture file no faster than the sender sends (stdin is read as it comes). */
  read(path: string, onFrame: FrameHandler, until?: () => boolean): Promise<CaptureFacts>;
  /** End of input: settle the heartbeat analysis, wait for the sender, print the closing line to stderr. */
  finish(end: number | null): Promise<HepCounters>;
  /** Stop without settling the analysis (the input failed); what is queued still goes out, no closing line. */
  abort(): Promise<void>;
}

export async function startHep(s: HepSettings, pipeline: Partial<PipelineOptions>, heartbeat: Partial<DetectorParams>): Promise<HepRun> {
  let sender: HepSender;
  try {
    sender = await openHepSender(s.url, { udpRate: s.udpRate });
  } catch (e) {
    if (e instanceof HepSendError) throw new UsageError(`--hep ${s.url.text}: ${e.message}`);
    throw e;
  }
  const sink = new HepSink(sender, { captureId: s.captureId, authKey: s.authKey, heartbeat });
  let own: Pipeline | null = null;
  return {
    sink,
    sender,
    frame: (info, bytes) => {
      own ??= new Pipeline([sink.add], pipeline);
      own.frame(info, bytes);
    },
    async read(path, onFrame, until) {
      if (path === '-') return readCapture(path, onFrame, undefined, until);
      const facts = newFacts();
      async function* withRoom(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
        for await (const c of chunks) {
          await sender.room();
          yield c;
        }
      }
      return readCaptureStream(path, withRoom(fileChunks(path, facts)), onFrame, facts, until);
    },
    async finish(end) {
      sink.finish(end);
      const c = await sender.close();
      process.stderr.write(`${hepSummaryLine(s.url, c)}\n`);
      return c;
    },
    async abort() {
      await sender.close();
    },
  };
}
