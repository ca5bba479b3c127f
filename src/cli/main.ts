// The ucprobe command line. Every failure the user can act on is one line on
// stderr and exit 2; no stack traces unless UCPROBE_DEBUG is set.

import { Argument, Command, CommanderError, Option } from 'commander';
import { bashCompletion, zshCompletion } from './docs.js';
import { UCPROBE_VERSION } from '../version.js';
import { analyzeFile, type FileReport } from '../analysis/analyze.js';
import { analyzeInWorkers, analyzeSetup, analyzeSplit, splitWorkers, captureFilter, parallelWorthwhile, type AnalyzeFlags, type SplitParts } from './analyze-files.js';
import { FilterError } from '../sources/bpf.js';
import { analysisText } from '../output/analysis-text.js';
import { correlationText } from '../output/correlation-text.js';
import { correlate, VantageCollector } from '../heartbeat/correlate.js';
import { csvTable, CSV_TABLES, type CsvTable } from '../output/csv.js';
import { PbStreamWriter } from '../pb/stream.js';
import { analysisRecords } from '../pb/analysis.js';
import { formatOptions, outputFormat, outputWriter, type FormatFlags } from './format.js';
import { CaptureError } from '../sources/types.js';
import { TIME_STYLES } from '../common/time-format.js';
import type { DissectFlags } from './dissect.js';
import { decodeOptions, heartbeatOptions } from './options.js';
import { failOnConditions, failOnFindings, FAIL_ON_CONDITIONS, type FailOnCondition } from './fail-on.js';
import { mediaLimits, mediaOptions, type MediaFlags } from './media-options.js';
import { EXIT_BAD_INPUT, EXIT_FAIL_ON, EXIT_INTERNAL, EXIT_INTERRUPTED, UsageError } from '../common/errors.js';
import { OutputError } from '../common/io-errors.js';
import { JSON_SCHEMA_VERSION, jsonText } from '../output/json-text.js';
import { LongRun, partialNote, quietOption } from './long-run.js';

/** The other commands' modules (commands.ts). */
export type OtherCommands = typeof import('./commands.js');

/** All the commands, for help, completion, the man page and every command but `analyze`. */
export function loadCommands(): Promise<OtherCommands> {
  return import('./commands.js');
}

function warn(msg: string): void {
  process.stderr.write(`ucprobe: warning: ${msg}\n`);
}

function fail(msg: string, code: number): never {
  process.stderr.write(`ucprobe: ${msg}\n`);
  process.exit(code);
}

/** How a run is carried out where the command line has no say: set by the tests that call `main` in-process. */
export interface RunSeams {
  /** `analyze --workers N` on one file: where its parts are read (default: a worker thread each). */
  splitParts?: SplitParts;
}

/** `others` null: `analyze` alone (what an `analyze` command line needs; the rest loads in a fifth of a second). */
export function buildProgram(others: OtherCommands | null, seams: RunSeams = {}): Command {
  const program = new Command('ucprobe')
    .description('MDS heartbeat, SIP and DSCP analyzer for UC and contact-center cluster networks')
    .version(UCPROBE_VERSION, '--version', 'print the version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s.startsWith('error:') ? `ucprobe: ${s}` : s) });

  if (others !== null) addDissectCommand(program, others);
  addAnalyzeCommand(program, seams);
  if (others === null) return program;
  others.addGenerateCommand(program);
  others.addMonitorCommand(program);
  others.addRunCommand(program);
  others.addReplayCommand(program);
  others.addSipCommand(program);
  others.addLiveCommands(program);
  others.addDecodePbCommand(program, warn);
  others.addReportCommand(program);
  program
    .command('completion')
    .description('print the shell completion script, made from these commands: `source <(ucprobe completion bash)`, or save the zsh one as _ucprobe in a $fpath folder')
    .addArgument(new Argument('<shell>', 'bash or zsh').choices(['bash', 'zsh']))
    .action((shell: 'bash' | 'zsh') => {
      process.stdout.write(shell === 'bash' ? bashCompletion(program) : zshCompletion(program));
    });
  return program;
}

function addDissectCommand(program: Command, others: OtherCommands): void {
  const dissectCmd = program
    .command('dissect')
    .description('print every packet: one line each, a field tree (-V) or JSON lines')
    .argument('[file-and-filter...]', "pcap or pcapng file (optionally gzipped; '-' reads stdin), then an optional tcpdump filter expression")
    .option('-r, --read <file>', 'the capture file, as tcpdump -r takes it (the arguments are then all filter)')
    .option('-f, --filter <bpf>', "print only the packets this tcpdump filter selects (or give it after the file, as tcpdump does)")
    .option('-w, --write <file>', 'also write the packets printed (after every filter and -c) to this pcapng file')
    .option('-Y, --display-filter <expr>', "print only packets whose decoded fields match, e.g. 'sip.method == INVITE && dscp != 24' (fields as -e names them; == != < > <= >= contains matches && || ! ())")
    .addOption(new Option('-T, --output-format <format>', "tshark's -T: fields (with -e), json (one JSON array of the --json records) or text").choices(['fields', 'json', 'text']))
    .option('-e, --field <name>', 'with -T fields: a field as the --json lines name it, dots for nesting (src, dscp, sip.method, sip.callId, hb.seq; ip.addr is either end); repeatable', (v: string, acc: string[] = []) => [...acc, v])
    .option('-E, --field-option <opt>', 'with -T fields: header=y, separator=/t|/s|CHAR (repeatable)', (v: string, acc: string[] = []) => [...acc, v])
    .option('--json', 'one JSON object per packet')
    .option('-V, --verbose', 'every decoded field as a tree')
    .option('-c, --count <n>', 'stop printing after n packets')
    .addOption(quietOption("as tshark -q: no packet printed; with -w the packets are only written, else one line counts what -Y/-c/filters selected; warnings still go to stderr"))
    .option('--app <apps>', 'print only these applications, as recognised (comma-separated: mds-heartbeat, sip, rtp, none)')
    .option('--host <addr>', 'print only packets from or to this IPv4/IPv6 address')
    .option('--port <n>', 'print only UDP/TCP packets from or to this port')
    .addOption(new Option('-t, --time <style>', 'timestamp style: utc (time of day), iso (with the date), epoch, relative').choices(TIME_STYLES).default('utc'));
  for (const o of [...formatOptions(['text', 'json', 'pb']), ...decodeOptions(), ...others.hepOptions()]) dissectCmd.addOption(o);
  dissectCmd.action(async (args: string[], flags: DissectFlags & { read?: string }) => {
    if (flags.count !== undefined && !/^\d+$/.test(flags.count)) throw new UsageError(`--count: expected a whole number, got '${flags.count}'`);
    const file = flags.read ?? args[0];
    if (file === undefined) throw new UsageError('a capture file is needed: ucprobe dissect FILE [filter] (or -r FILE [filter])');
    const trailing = (flags.read !== undefined ? args : args.slice(1)).join(' ').trim();
    if (trailing && flags.filter !== undefined) throw new UsageError(`a filter after the file and -f: pick one (got '${trailing}' and '${flags.filter}')`);
    const expr = flags.filter ?? (trailing || undefined);
    for (const w of await others.dissect(file, { ...flags, capture: expr !== undefined ? captureFilter(expr) : undefined })) warn(w);
  });
}

function addAnalyzeCommand(program: Command, seams: RunSeams): void {
  const analyzeCmd = program
    .command('analyze')
    .description('capture facts, protocol counts, heartbeat streams/pairs/timeline, SIP counts, DSCP per application, RTP/RTCP media quality')
    .argument('[files...]', "pcap or pcapng files, optionally gzipped; '-' reads stdin")
    .option('-r, --read <file>', 'a capture file, as tcpdump -r takes it (with any files named after it)')
    .option('-f, --filter <bpf>', "analyse only the packets this tcpdump filter selects, e.g. 'udp port 5060 or udp portrange 39500-39999'")
    .option('-c, --count <n>', 'stop after n packets (of those the filter selects), as tcpdump -c')
    .option('--json', 'the full report as JSON')
    .option('--workers <n>', 'workers for one file, split by conversation, the report the same as one worker\'s (default 1: a split reads the file in every worker, slower than one on 2 cores)')
    .option('--correlate', 'two captures of the same streams, one near each host: one-way loss and delay per direction')
    .option('--policy <file>', 'DSCP policy (YAML or JSON) to audit every flow against; the built-in Cisco UC policy otherwise')
    .option('--sip-timeout <time>', 'SIP transaction timeout: no final response within this long, e.g. 4s (default 32s, 64*T1; a bare number is ms)')
    .addOption(new Option('--table <table>', 'with --format csv: which table (heartbeat streams, DSCP flows, SIP calls, RTP streams, ICCS mesh links, load balancer health checks, multicast group members and streams)').choices(CSV_TABLES).default('streams'))
    .addOption(new Option('--fail-on <conditions>', `exit 1 when any of these is found (comma-separated: ${FAIL_ON_CONDITIONS.join(', ')})`).argParser(failOnConditions));
  for (const o of [...formatOptions(['text', 'json', 'pb', 'csv']), ...decodeOptions(), ...heartbeatOptions(), ...mediaOptions(),
    quietOption('the report only: no progress line, and no warnings repeated on stderr (the report states them); errors still go to stderr')]) analyzeCmd.addOption(o);
  analyzeCmd.action(async (named: string[], flags: AnalyzeFlags & FormatFlags & MediaFlags & { read?: string; workers?: string; correlate?: boolean; failOn?: FailOnCondition[]; table: CsvTable; quiet?: boolean }) => {
    const files = flags.read !== undefined ? [flags.read, ...named] : named;
    if (files.length === 0) throw new UsageError('a capture file is needed: ucprobe analyze FILE... (or -r FILE)');
    const format = outputFormat(flags);
    // Checked here, before any worker starts: a bad flag is one line, as always.
    const { opts, params, dscpPolicy, sip, filter, count, media, rtpSeries, cluster } = analyzeSetup(flags);
    if (rtpSeries && format !== 'json') throw new UsageError('--rtp-series: only with --json (the series are not in the text, CSV or pb output)');
    const limits = mediaLimits(flags);
    if (flags.correlate && files.length !== 2) throw new UsageError(`--correlate: expected two captures (one near each host), got ${files.length}`);
    const vantages = flags.correlate ? files.map((f) => new VantageCollector(f)) : [];
    const reports: FileReport[] = [];
    /** Files read side by side that Ctrl-C cut short. */
    const cut: FileReport[] = [];
    const run = new LongRun(flags.quiet === true, files.includes('-'));
    try {
      // Several files: one per core (--correlate feeds both files into one collector here, so not then).
      const split = !flags.correlate && !rtpSeries ? splitWorkers(files, flags.workers) : 1;
      const whole = split > 1 ? await analyzeSplit(files[0], flags, split, run.next(files[0]), run.until, (why) => {
        if (!flags.quiet) warn(`${files[0]}: read by one worker (${why})`);
      }, seams.splitParts) : null;
      if (whole !== null) reports.push(whole);
      else if (!flags.correlate && parallelWorthwhile(files)) reports.push(...await analyzeInWorkers(files, flags, (f) => run.next(f), run.until, cut));
      else {
        for (const [i, f] of files.entries()) {
          if (run.interrupted) break;
          reports.push(await analyzeFile(f, opts, params, vantages[i] ? [vantages[i].add] : [], { dscpPolicy, sip, media, rtpSeries, cluster, filter, count, progress: run.next(f), until: run.until }));
        }
      }
    } finally {
      run.end();
    }
    // Ctrl-C: the report of what was read, marked partial, then exit 130.
    const partial = run.interrupted ? partialNote(reports, files, cut) : null;
    const correlation = vantages.length === 2 ? correlate(vantages[0], vantages[1]) : undefined;
    const out = outputWriter(flags, format);
    if (format === 'pb') {
      const pb = new PbStreamWriter(out, 'analyze', files);
      for (const r of reports) for (const rec of analysisRecords(r)) pb.write(rec);
      pb.end(reports.find((r) => r.error)?.error ?? partial ?? '');
    } else {
      if (format === 'json') out.line(jsonText({ schemaVersion: JSON_SCHEMA_VERSION, partial: partial !== null, files: reports, correlation }, 2));
      else if (format === 'csv') out.bytes(Buffer.from(csvTable(flags.table, reports)));
      else {
        for (const r of reports) out.line(analysisText(r));
        if (correlation) out.line(correlationText(correlation));
        if (partial !== null) out.line(`-- partial report: ${partial}`);
      }
      out.close();
    }
    if (!flags.quiet) for (const r of reports) for (const w of r.warnings) warn(w);
    if (partial !== null) fail(partial, EXIT_INTERRUPTED);
    const broken = reports.find((r) => r.error);
    if (broken?.error) fail(broken.error, EXIT_BAD_INPUT);
    const found = failOnFindings(reports, flags.failOn ?? [], limits);
    if (found.length) fail(`--fail-on: ${found.join('; ')}`, EXIT_FAIL_ON);
  });
}

export async function main(argv: string[], seams: RunSeams = {}): Promise<void> {
  // `analyze` is the command run on big captures, often in scripts: it starts without the other commands' code.
  const others = argv[2] === 'analyze' ? null : await loadCommands();
  const program = buildProgram(others, seams);
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // help and version exit 0; usage errors were already printed by commander
      process.exit(e.exitCode === 0 ? 0 : EXIT_BAD_INPUT);
    }
    if (e instanceof CaptureError || e instanceof FilterError || e instanceof UsageError || e instanceof OutputError || (e instanceof Error && others?.USER_ERRORS.some((t) => e instanceof t))) fail(e.message, EXIT_BAD_INPUT);
    if (process.env.UCPROBE_DEBUG) console.error(e);
    fail(`internal error: ${(e as Error).message} (set UCPROBE_DEBUG=1 for details)`, EXIT_INTERNAL);
  }
}
