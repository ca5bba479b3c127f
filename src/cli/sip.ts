// `ucprobe sip calls <file>` and `ucprobe sip flow <file> --call-id ID`:
// the call list and the ladder diagram of one call, each from one pass of
// the pipeline over the capture.

import { Option, type Command } from 'commander';
import type { PipelineConsumer } from '../pipeline/pipeline.js';
import { CaptureError, type CaptureFacts } from '../sources/types.js';
import { SipAnalyzer } from '../sip/analyzer.js';
import { CallFlowCollector } from '../sip/call-flow.js';
import { callsText, ladderText, noSuchCallText, savedCallText } from '../output/sip-text.js';
import { registrationsText } from '../output/registrations-text.js';
import { utcClock } from '../common/time-format.js';
import { sanitize } from '../output/sanitize.js';
import { StdoutWriter } from '../output/stdout-writer.js';
import { decodeOptions, pipelineOptions, type DecodeFlags } from './options.js';
import { sipTimeout } from './parse.js';
import { EXIT_FAIL_ON, UsageError } from '../common/errors.js';
import { JSON_SCHEMA_VERSION, jsonText } from '../output/json-text.js';
import { MediaAnalyzer } from '../media/analyzer.js';
import { mediaLimits, mediaOptions, mediaParams, type MediaFlags } from './media-options.js';
import { sipCallsFailOn, sipCallsFindings, SIP_CALLS_FAIL_ON, type SipCallsFailOn } from './fail-on.js';
import { readPass, saveCall } from '../sip/save-call.js';

interface CallsFlags extends DecodeFlags, MediaFlags {
  json?: boolean;
  timeout?: string;
  failOn?: SipCallsFailOn[];
}

interface FlowFlags extends DecodeFlags {
  json?: boolean;
  callId: string;
}

interface SaveFlags extends DecodeFlags {
  callId: string;
  write: string;
}

/** One pass over a capture with the command's decode flags. */
function pass(file: string, consumers: PipelineConsumer[], flags: DecodeFlags): Promise<{ facts: CaptureFacts; error: string | null }> {
  return readPass(file, consumers, pipelineOptions(flags));
}

function finish(facts: CaptureFacts, error: string | null): void {
  for (const w of facts.warnings) process.stderr.write(`ucprobe: warning: ${w}\n`);
  if (error !== null) throw new CaptureError(error);
}

export { sipTimeout };

export function addSipCommand(program: Command): void {
  const sip = program.command('sip').description('SIP calls, call flows and registrations: `sip calls <file>`, `sip flow <file> --call-id ID`, `sip registrations <file>`, `sip save <file> --call-id ID -w OUT`');

  const calls = sip
    .command('calls')
    .description('one line per call: start, from, to, state, final code, setup time, duration, messages, and its media: MOS, worst loss and jitter')
    .argument('<file>', "pcap or pcapng file, optionally gzipped; '-' reads stdin")
    .option('--json', 'the calls (and transaction and keepalive figures) as JSON')
    .option('--timeout <time>', 'transaction timeout: no final response within this long, e.g. 4s (default 32s, 64*T1; a bare number is ms)')
    .addOption(new Option('--fail-on <conditions>', `exit 1 when any of these is found, as analyze does (comma-separated: ${SIP_CALLS_FAIL_ON.join(', ')})`).argParser(sipCallsFailOn));
  // The series are analyze's (--json --rtp-series); the rest of the media flags mean the same here.
  for (const o of [...mediaOptions().filter((o) => o.long !== '--rtp-series'), ...decodeOptions()]) calls.addOption(o);
  calls.action(async (file: string, flags: CallsFlags) => {
    const analyzer = new SipAnalyzer(sipTimeout(flags.timeout, '--timeout'));
    const media = new MediaAnalyzer(mediaParams(flags));
    const limits = mediaLimits(flags);
    const { facts, error } = await pass(file, [analyzer, media], flags);
    const report = analyzer.report(facts.lastTs);
    const rtp = media.report();
    const byCall = new Map(rtp.calls.map((c) => [c.callId, c]));
    const out = new StdoutWriter();
    out.line(flags.json
      ? jsonText({ schemaVersion: JSON_SCHEMA_VERSION, file, ...report, media: [...byCall.values()] }, 2)
      : callsText(report.calls.calls, file, byCall).trimEnd());
    out.flush();
    finish(facts, error);
    const found = sipCallsFindings(file, { sipAnalysis: report, rtp }, flags.failOn ?? [], limits);
    if (found.length) {
      process.stderr.write(`ucprobe: --fail-on: ${found.join('; ')}\n`);
      process.exitCode = EXIT_FAIL_ON;
    }
  });

  const registrations = sip
    .command('registrations')
    .description('REGISTER per address of record and contact: challenges (401/407), failures and timeouts, refreshes, expiry asked and granted, where each stands at the end')
    .argument('<file>', "pcap or pcapng file, optionally gzipped; '-' reads stdin")
    .option('--json', 'the registrations as JSON')
    .option('--timeout <time>', 'transaction timeout: no final response within this long, e.g. 4s (default 32s, 64*T1; a bare number is ms)');
  for (const o of decodeOptions()) registrations.addOption(o);
  registrations.action(async (file: string, flags: CallsFlags) => {
    const analyzer = new SipAnalyzer(sipTimeout(flags.timeout, '--timeout'));
    const { facts, error } = await pass(file, [analyzer], flags);
    const report = analyzer.report(facts.lastTs).registrations;
    const out = new StdoutWriter();
    out.line(flags.json ? jsonText({ schemaVersion: JSON_SCHEMA_VERSION, file, ...report }, 2) : registrationsText(report, file, utcClock).trimEnd());
    out.flush();
    finish(facts, error);
  });

  const save = sip
    .command('save')
    .description("write one call to pcapng, as sngrep's save: its SIP messages and the RTP/RTCP its SDP announced, nothing else")
    .argument('<file>', 'pcap or pcapng file, optionally gzipped')
    .requiredOption('--call-id <id>', 'the Call-ID (see `sip calls`)')
    .requiredOption('-w, --write <out.pcapng>', 'the file to write');
  for (const o of decodeOptions()) save.addOption(o);
  save.action(async (file: string, flags: SaveFlags) => {
    if (file === '-') throw new UsageError('sip save reads the capture twice (the SDP first, then the media it announced): give a file, not stdin');
    const saved = await saveCall(file, flags.callId, flags.write, pipelineOptions(flags));
    if (saved === null) throw new UsageError(noSuchCallText(file, flags.callId));
    process.stderr.write(`ucprobe: ${savedCallText(flags.callId, flags.write, saved)}\n`);
    finish(saved.facts, null);
  });

  const flow = sip
    .command('flow')
    .description('ladder diagram of one call across every host it touched, with times and DSCP')
    .argument('<file>', "pcap or pcapng file, optionally gzipped; '-' reads stdin")
    .requiredOption('--call-id <id>', 'the Call-ID (see `sip calls`)')
    .option('--json', 'the messages as JSON');
  for (const o of decodeOptions()) flow.addOption(o);
  flow.action(async (file: string, flags: FlowFlags) => {
    const collector = new CallFlowCollector(flags.callId);
    const { facts, error } = await pass(file, [collector.add], flags);
    const f = collector.flow();
    if (f.messages.length === 0) {
      if (error !== null) throw new CaptureError(error);
      throw new UsageError(noSuchCallText(file, flags.callId));
    }
    const out = new StdoutWriter();
    out.line(flags.json ? jsonText({ schemaVersion: JSON_SCHEMA_VERSION, file, ...f }, 2) : ladderText(f).trimEnd());
    out.flush();
    finish(facts, error);
  });
}
