// `ucprobe interfaces`, `ucprobe live -i IFACE` and `ucprobe tui <file>`: the
// live views. On a terminal they draw the ink UI; piped (or with --json /
// --no-ui) they print one line per event and a summary when stopped.

import type { Command } from 'commander';
import { listCaptureDevices } from '../sources/interfaces.js';
import { DEFAULT_BUFFER_MB, DEFAULT_LIVE_SNAPLEN } from '../sources/live-capture.js';
import { CaptureError } from '../sources/types.js';
import { LiveSession, type SessionOptions } from '../live/session.js';
import { SnapshotPublisher } from '../live/publisher.js';
import { CLOCK_TICK_MS, fileSource, hepSource, interfaceSource, replaySource, type FileSessionSource, type SessionSource } from '../live/sources.js';
import { saveCall } from '../sip/save-call.js';
import { noSuchCallText } from '../output/sip-text.js';
import { sanitize } from '../output/sanitize.js';
import { jitterBufferOption, mediaParams, type MediaFlags } from './media-options.js';
import type { PipelineOptions } from '../pipeline/pipeline.js';
import { existsSync } from 'node:fs';
import { parseHepListen, type HepListener } from '../sources/hep-listen.js';
import { hepOptions, hepSettings, startHep, type HepFlags, type HepRun } from './hep-options.js';
import type { LiveEvent, LiveSnapshot, SourceInfo } from '../live/view-model.js';
import { RingCaptureWriter } from '../writer/ring-writer.js';
import type { FrameHandler } from '../sources/types.js';
import { eventLine, sessionTotals, summaryText } from '../output/live-text.js';
import { StdoutWriter } from '../output/stdout-writer.js';
import { PbStreamWriter } from '../pb/stream.js';
import { dscpVerdictMessage, heartbeatEventMessage, heartbeatStreamMessage, keepaliveMessage, liveEventMessage, sipCallMessage } from '../pb/records.js';
import { heartbeatEventFromHep } from '../hep/heartbeat-chunk.js';
import type { HepRecord } from '../../dissectors/hep.js';
import type { HeartbeatEvent } from '../heartbeat/events.js';
import { formatOptions, outputFormat, outputWriter, toStdout, type FormatFlags } from './format.js';
import { table } from '../output/table.js';
import { loadPolicyFile } from '../dscp/policy-file.js';
import { clusterParams, decodeOptions, detectorFlags, heartbeatOptions, pipelineOptions, reloadOnHangup, settingsText, type HeartbeatFlags } from './options.js';
import { durationMs, hostPort, wholeNumber } from './parse.js';
import { connectEventFeed } from '../monitor/feed-client.js';
import { heartbeatLiveEvent, monitorLiveEvent } from '../live/live-events.js';
import { sipTimeout } from './sip.js';
import { speedFactor } from './replay.js';
import { UsageError } from '../common/errors.js';

interface ViewFlags extends HeartbeatFlags, FormatFlags, Pick<MediaFlags, 'jitterBuffer'> {
  monitorEvents?: string;
  ui?: boolean;
  duration?: string;
  count?: string;
  policy?: string;
  sipTimeout?: string;
  /** -q: no event lines, only the summary at the end. */
  quiet?: boolean;
}

interface LiveFlags extends ViewFlags, HepFlags {
  interface?: string;
  hepListen?: string;
  filter?: string;
  snaplen?: string;
  buffer?: string;
  write?: string;
  ring?: string;
  size?: string;
}

interface TuiFlags extends ViewFlags {
  replay?: boolean;
  speed?: string;
}

/** How often the UI redraws. */
const PUBLISH_MS = 250;
const COUNTERS_MS = 1000;

function viewOptions(cmd: Command): Command {
  cmd
    .option('--json', 'no UI: events as JSON lines, then a summary line')
    .option('--no-ui', 'no UI even on a terminal: events as text lines, then a summary')
    .option('--duration <time>', 'stop after this long, e.g. 30s (default: until q or Ctrl-C)')
    .option('-c, --count <n>', 'stop after n packets, as tcpdump -c')
    .option('-q, --quiet', 'without the UI: no event lines, only the summary at the end (as tshark -q with -z); the UI is unchanged')
    .option('--policy <file>', 'DSCP policy (YAML or JSON); the built-in Cisco UC policy otherwise')
    .option('--sip-timeout <time>', 'SIP transaction timeout (default 32s)')
    .option('--monitor-events <host:port>', "also show the events of a running `ucprobe monitor --events-listen PORT`");
  for (const o of [...formatOptions(['text', 'json', 'pb']), ...decodeOptions(), ...heartbeatOptions(), jitterBufferOption()]) cmd.addOption(o);
  return cmd;
}

function sessionOptions(source: SourceInfo, flags: ViewFlags, onEvent: (e: LiveEvent) => void): SessionOptions {
  return {
    source,
    pipeline: pipelineOptions(flags),
    heartbeat: detectorFlags(flags),
    dscpPolicy: flags.policy !== undefined ? loadPolicyFile(flags.policy) : undefined,
    sip: sipTimeout(flags.sipTimeout, '--sip-timeout'),
    media: mediaParams(flags),
    // The config file's "cluster" ports, as analyze takes them.
    cluster: clusterParams(flags),
    onEvent,
  };
}

interface Writer {
  files: string[];
  packets: number;
  flush(): void;
  close(): void;
}

/** The UI needs the terminal: not with JSON lines, nor with protobuf on stdout. */
function drawsUi(flags: ViewFlags): boolean {
  const format = outputFormat(flags);
  return flags.ui !== false && process.stdout.isTTY === true && format !== 'json' && (format === 'text' || !toStdout(flags));
}

/** Run a session over a source until it ends, the user quits, or --duration; draw the UI or print lines. */
async function runView(
  source: SourceInfo, flags: ViewFlags, open: (onFrame: FrameHandler, session: LiveSession) => Promise<SessionSource>, writer: Writer | null,
  hep: HepRun | null = null, extras: Partial<SessionOptions> = {},
): Promise<void> {
  const format = outputFormat(flags);
  const useUi = drawsUi(flags);
  // With the UI on the terminal, event lines go only to a file.
  const printLines = (!useUi || !toStdout(flags)) && flags.quiet !== true;
  const limit = flags.duration !== undefined ? durationMs(flags.duration, '--duration', 's') : undefined;
  const maxPackets = flags.count !== undefined ? wholeNumber(flags.count, '--count') : Infinity;
  let enough: () => void = () => undefined;
  const out = outputWriter(flags, format);
  const pb = format === 'pb' ? new PbStreamWriter(out, 'live', [`${source.kind} ${source.name}`]) : null;
  const counts: Record<string, number> = {};
  // The detector's own events go into the protobuf stream typed; its live line right after is not written twice.
  let typedJustWritten = false;
  const onEvent = (e: LiveEvent): void => {
    counts[e.kind] = (counts[e.kind] ?? 0) + 1;
    if (pb) {
      if (!typedJustWritten) pb.write({ liveEvent: liveEventMessage(e) });
      typedJustWritten = false;
      pb.flush();
      return;
    }
    if (!printLines) return;
    out.line(format === 'json' ? JSON.stringify({ type: 'event', ...e }) : eventLine(e));
    out.flush();
  };
  const onHeartbeatEvent = (e: HeartbeatEvent): void => {
    if (!pb) return;
    pb.write({ heartbeatEvent: heartbeatEventMessage(e, Date.now() / 1000) });
    typedJustWritten = true;
  };
  // --hep: the sink takes the session's decoded records.
  const options: SessionOptions = { ...sessionOptions(source, flags, onEvent), onHeartbeatEvent, consumers: hep ? [hep.sink.add] : [], ...extras };
  const session = new LiveSession(options);
  const monitorAt = flags.monitorEvents !== undefined ? hostPort(flags.monitorEvents, '--monitor-events') : null;
  const where = monitorAt ? `${monitorAt.host}:${monitorAt.port}` : '';
  const feed = monitorAt
    ? await connectEventFeed(monitorAt, (line) => {
      const e = monitorLiveEvent(line, where, session.params, Date.now() / 1000);
      if (e) session.external(e);
    }, (code) => new UsageError(code === null ? `--monitor-events ${where}: no hello within 5 s (is it \`ucprobe monitor --events-listen\`?)` : `--monitor-events: cannot reach ${where}: ${code}`))
    : null;
  // The UI's modules load before the source opens: a file read from then on would starve their loading of turns.
  const uiKit = useUi ? await loadUi() : null;
  const src = await open(session.frame, session);
  reloadOnHangup(flags, (p) => session.setHeartbeatParams(p), (p) => {
    if (pb || !printLines) return;
    out.line(format === 'json' ? JSON.stringify({ type: 'settings', params: p }) : `heartbeat settings now: ${settingsText(p)}`);
    out.flush();
  });
  // Live sources start the clock now; a file's starts at its first packet.
  if (source.kind === 'interface' || source.kind === 'hep') session.start(src.now());
  void src.ended.then(() => session.end(), () => session.end());
  // A call is saved from the file read, or from the one -w is writing (flushed first).
  const fromFile = source.kind === 'file' || source.kind === 'replay' ? source.name : null;
  const saveFrom = (): string => {
    if (fromFile !== null) return fromFile;
    if (writer === null) throw new Error('saving a call needs a capture file: run live with -w FILE');
    if (writer.files.length !== 1) throw new Error(`-w has rotated into ${writer.files.length} files: run sip save on the one that holds the call`);
    writer.flush();
    return writer.files[0];
  };
  const publisher = new SnapshotPublisher(session, () => src.now(), {
    loading: isFileSource(src) ? src.loading : undefined,
    saveCall: async (callId) => saveCallFrom(saveFrom(), callId, pipelineOptions(flags)),
  });
  const timers = [
    setInterval(() => {
      const now = src.now();
      session.tick(now);
      hep?.sink.tick(now);
      if (session.packets >= maxPackets) enough();
    }, CLOCK_TICK_MS),
    setInterval(() => {
      src.requestCounters();
      session.setCounters(src.counters());
    }, COUNTERS_MS),
  ];
  if (useUi) timers.push(setInterval(() => publisher.publish(), PUBLISH_MS));

  let ui: { quit: Promise<void>; close(): void } | null = null;
  if (uiKit !== null) ui = startUi(uiKit, publisher);
  const stopped = new Promise<string | null>((resolve) => {
    enough = () => resolve(null);
    if (limit !== undefined) setTimeout(() => resolve(null), limit);
    process.once('SIGINT', () => resolve(null));
    process.once('SIGTERM', () => resolve(null));
    void ui?.quit.then(() => resolve(null));
    // A whole file has ended at once; on a terminal its view stays up until q.
    src.ended.then((why) => (ui === null || why !== null ? resolve(why) : undefined), (e: unknown) => resolve((e as Error).message));
  });
  const why = await stopped;
  for (const t of timers) clearInterval(t);
  feed?.close();
  await src.stop();
  // Not a capture at all (a replayed file with a wrong magic): the error alone, no summary.
  if (why !== null && src.facts.format === null) {
    ui?.close();
    throw new CaptureError(why);
  }
  writer?.close();
  session.setCounters(src.counters());
  session.end();
  const final = session.snapshot(src.now());
  ui?.close();
  const totals = sessionTotals(final, counts, writer?.files ?? [], writer?.packets ?? 0);
  if (pb) {
    closingRecords(pb, session, final, options.dscpPolicy?.name ?? 'default');
    pb.end(why ?? '');
  } else {
    out.line(format === 'json' ? JSON.stringify({ type: 'summary', source, ...totals }) : `\n${summaryText(`${source.kind} ${source.name}`, totals)}`);
    out.close();
  }
  await hep?.finish(src.now());
  for (const w of src.facts.warnings) process.stderr.write(`ucprobe: warning: ${w}\n`);
  const cut = src.facts.truncatedPackets;
  if (cut > 0 && source.kind === 'interface') process.stderr.write(`ucprobe: warning: ${cut} packets were longer than the snaplen and were cut (decoded as far as they go); raise --snaplen (and --buffer with it) to keep them whole\n`);
  if (why !== null) throw new CaptureError(why);
}

function isFileSource(src: SessionSource): src is FileSessionSource {
  return 'loading' in src;
}

/** The UI's s key: the call from the file to call-<Call-ID>.pcapng here (never over a file already there); the line to show. */
async function saveCallFrom(file: string, callId: string, opts: Partial<PipelineOptions>): Promise<string> {
  const base = `call-${callId.replace(/[^A-Za-z0-9._@-]/g, '_').slice(0, 80)}`;
  let out = `${base}.pcapng`;
  for (let n = 2; existsSync(out); n++) out = `${base}-${n}.pcapng`;
  const saved = await saveCall(file, callId, out, opts);
  // Short enough for an 80-column footer: the file name carries the Call-ID.
  return saved === null ? noSuchCallText(file, callId) : `saved ${sanitize(out)}: ${saved.packets} packets, ${saved.messages} SIP messages`;
}

/** The end of a live protobuf stream: every stream's figures, the calls, keepalives and DSCP verdicts as they stood. */
function closingRecords(pb: PbStreamWriter, session: LiveSession, final: LiveSnapshot, policy: string): void {
  for (const s of session.streamReports()) pb.write({ heartbeatStream: heartbeatStreamMessage(s) });
  for (const c of [...final.calls].reverse()) pb.write({ sipCall: sipCallMessage(c) });
  for (const k of final.keepalives) pb.write({ keepalive: keepaliveMessage(k) });
  for (const f of final.dscp) pb.write({ dscpVerdict: dscpVerdictMessage(f, policy) });
}

type UiKit = [typeof import('ink'), typeof import('react'), typeof import('../tui/app.js')];

/** The UI's modules, loaded only here: the other commands start faster without React. */
async function loadUi(): Promise<UiKit> {
  // React's development build times every render (performance.measure) and costs several times the CPU.
  process.env.NODE_ENV ??= 'production';
  // ink draws only the last frame when CI is set; we draw only on a real terminal, so it is one.
  for (const v of ['CI', 'CONTINUOUS_INTEGRATION']) if (v in process.env) process.env[v] = 'false';
  return Promise.all([import('ink'), import('react'), import('../tui/app.js')]);
}

/** The ink UI on the alternate screen; resolves `quit` when the user presses q. */
function startUi([{ render }, { createElement }, { App }]: UiKit, publisher: SnapshotPublisher): { quit: Promise<void>; close(): void } {
  let quit!: () => void;
  const quitting = new Promise<void>((r) => (quit = r));
  process.stdout.write('\u001b[?1049h');
  const instance = render(createElement(App, { source: publisher, onQuit: () => quit() }), { exitOnCtrlC: false, patchConsole: false });
  return {
    quit: quitting,
    close() {
      instance.unmount();
      instance.cleanup();
      process.stdout.write('\u001b[?1049l');
    },
  };
}

export function addLiveCommands(program: Command): void {
  program
    .command('interfaces')
    .description('list capture devices with their addresses')
    .option('--json', 'as JSON')
    .action((flags: { json?: boolean }) => {
      const devices = listCaptureDevices();
      const out = new StdoutWriter();
      if (flags.json) out.line(JSON.stringify(devices, null, 2));
      else out.line(table(['name', 'state', 'addresses', 'description'], devices.map((d) => [d.name, d.flags.join(',') || '-', d.addresses.join(' ') || '-', d.description ?? ''])));
      out.flush();
    });

  const live = program
    .command('live')
    .description('capture on an interface (or take HEP from capture agents) through the analysis pipeline: terminal UI, or event lines when piped')
    .option('-i, --interface <name>', "capture device (see 'ucprobe interfaces'; 'any' for all)")
    .option('--hep-listen <udp|tcp:addr:port>', 'instead of -i: receive HEP from capture agents (heplify, sngrep -H, Kamailio, another ucprobe), e.g. udp:0.0.0.0:9060')
    .option('-f, --filter <bpf>', "capture filter, as tcpdump takes it, e.g. 'udp portrange 39500-39999 or port 5060'")
    .option('--snaplen <bytes>', `bytes kept of each packet (default ${DEFAULT_LIVE_SNAPLEN}, a jumbo frame; longer ones are cut and counted)`)
    .option('--buffer <MB>', `kernel capture buffer in MiB (default ${DEFAULT_BUFFER_MB})`)
    .option('-w, --write <file>', 'also write what is captured to this pcapng file')
    .option('--size <MB>', 'with -w: start a new file every this many MB (names as dumpcap: FILE_00001_YYYYMMDDhhmmss.pcapng)')
    .option('--ring <n>', 'with --size: keep only the newest n files');
  for (const o of hepOptions()) live.addOption(o);
  viewOptions(live).action(async (flags: LiveFlags) => {
    const listen = flags.hepListen !== undefined ? parseHepListen(flags.hepListen) : null;
    if (flags.hepListen !== undefined && !listen) throw new UsageError(`--hep-listen: expected udp:ADDR:PORT or tcp:ADDR:PORT (IPv6 as [addr]), e.g. udp:0.0.0.0:9060, got '${flags.hepListen}'`);
    if (listen && flags.interface !== undefined) throw new UsageError('-i and --hep-listen are two sources: pick one');
    if (!listen && flags.interface === undefined) throw new UsageError("required option '-i, --interface <name>' not specified (or --hep-listen udp:ADDR:PORT)");
    if (listen && (flags.filter !== undefined || flags.snaplen !== undefined || flags.buffer !== undefined)) throw new UsageError('-f, --snaplen and --buffer apply to -i only, not to --hep-listen');
    const snaplen = flags.snaplen !== undefined ? wholeNumber(flags.snaplen, '--snaplen', 262144) : DEFAULT_LIVE_SNAPLEN;
    const bufferMb = flags.buffer !== undefined ? wholeNumber(flags.buffer, '--buffer', 4096) : undefined;
    if ((flags.size !== undefined || flags.ring !== undefined) && flags.write === undefined) throw new UsageError('--size and --ring need -w FILE');
    if (flags.ring !== undefined && flags.size === undefined) throw new UsageError('--ring needs --size: a ring of one file that never rotates would keep everything');
    const writer = flags.write !== undefined
      ? new RingCaptureWriter({
        path: flags.write,
        maxBytes: flags.size !== undefined ? wholeNumber(flags.size, '--size', 1 << 20) * 1e6 : undefined,
        ring: flags.ring !== undefined ? wholeNumber(flags.ring, '--ring', 100000) : undefined,
        snaplen,
        ifaceName: flags.interface ?? `hep ${listen!.text}`,
      })
      : null;
    const hepWanted = hepSettings(flags);
    const hep = hepWanted ? await startHep(hepWanted, pipelineOptions(flags), detectorFlags(flags)) : null;
    const tee = (onFrame: FrameHandler): FrameHandler => (writer ? (info, bytes) => {
      writer.write(info, bytes);
      onFrame(info, bytes);
    } : onFrame);
    if (listen) {
      // The session's clock is the wall clock; the frames carry the agents' timestamps.
      const source: SourceInfo = { kind: 'hep', name: listen.text, filter: null };
      let listener: HepListener | null = null;
      let session: LiveSession | null = null;
      // Another ucprobe's heartbeat events arrive as HEP logs: shown beside what is found here.
      const onOther = (h: HepRecord): void => {
        const e = heartbeatEventFromHep(h);
        if (!e || !session) return;
        const line = heartbeatLiveEvent(e, session.params);
        session.external({ ...line, text: `agent ${h.captureId ?? '?'} ${h.src ?? ''}: ${line.text}` });
      };
      const extras: Partial<SessionOptions> = { dscpKnown: () => listener?.markingKnown ?? true };
      await runView(source, flags, async (onFrame, s) => {
        session = s;
        const src = await hepSource(listen, tee(onFrame), { onOther });
        listener = src.listener;
        const b = src.listener.bound;
        if (!drawsUi(flags)) process.stderr.write(`ucprobe: listening for HEP on ${listen.transport}:${b.address.includes(':') ? `[${b.address}]` : b.address}:${b.port}\n`);
        return src;
      }, writer, hep, extras);
      return;
    }
    const iface = flags.interface!;
    const source: SourceInfo = { kind: 'interface', name: iface, filter: flags.filter ?? null };
    const count = flags.count !== undefined ? wholeNumber(flags.count, '--count') : undefined;
    await runView(source, flags, (onFrame) => interfaceSource({ iface, filter: flags.filter, snaplen, bufferMb, count }, tee(onFrame)), writer, hep);
  });

  const tui = program
    .command('tui')
    .description('the live views over a capture file: all of it at once, or --replay at its own pace')
    .argument('<file>', 'pcap or pcapng file, optionally gzipped')
    .option('--replay', 'hand packets on at the pace they were captured')
    .option('--speed <x>', 'with --replay: this many times faster (default 1)');
  viewOptions(tui).action(async (file: string, flags: TuiFlags) => {
    const speed = flags.speed !== undefined ? speedFactor(flags.speed) : 1;
    if (flags.speed !== undefined && !flags.replay) throw new UsageError('--speed needs --replay');
    const source: SourceInfo = { kind: flags.replay ? 'replay' : 'file', name: file, filter: null };
    await runView(source, flags, async (onFrame) => (flags.replay ? replaySource(file, onFrame, speed) : fileSource(file, onFrame)), null);
  });
}
