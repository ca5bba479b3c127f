// `ucprobe report <files...> -o report.html`: the analysis of each capture
// as one self-contained HTML page (interval plots per heartbeat pair, the
// event timeline, SIP ladders, DSCP verdicts), from one pass per file.
// Bad input throws (CaptureError, UsageError); main.ts turns that into one
// `ucprobe: ...` line and exit 2.

import { UCPROBE_VERSION } from '../version.js';
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { loadPolicyFile } from '../dscp/policy-file.js';
import { StdoutWriter } from '../output/stdout-writer.js';
import { ioReason } from '../common/io-errors.js';
import { collectFile, type ReportFile } from '../report/collect.js';
import { renderReport } from '../report/html.js';
import { CaptureError } from '../sources/types.js';
import { EXIT_INTERRUPTED, UsageError } from '../common/errors.js';
import { clusterParams, decodeOptions, detectorFlags, heartbeatOptions, pipelineOptions, type HeartbeatFlags } from './options.js';
import { sipTimeout } from './sip.js';
import { LongRun, partialNote, quietOption } from './long-run.js';

export interface ReportFlags extends HeartbeatFlags {
  output: string;
  policy?: string;
  sipTimeout?: string;
}

/** KiB/MiB for the one line that names what was written. */
function size(n: number): string {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * Analyze every file and render the report; `now` is the generation time printed in it.
 * With `run`, a progress line shows and Ctrl-C stops the reading: the report then covers what was
 * read, and says so (`partial`, also a warning in the last file's section).
 */
export async function buildReport(files: string[], flags: Omit<ReportFlags, 'output'>, now: Date = new Date(), run?: LongRun): Promise<{ html: string; files: ReportFile[]; partial: string | null }> {
  const opts = pipelineOptions(flags);
  const params = detectorFlags(flags);
  const dscpPolicy = flags.policy !== undefined ? loadPolicyFile(flags.policy) : undefined;
  const sip = sipTimeout(flags.sipTimeout, '--sip-timeout');
  const cluster = clusterParams(flags);
  const collected: ReportFile[] = [];
  try {
    for (const f of files) {
      if (run?.interrupted) break;
      collected.push(await collectFile(f, opts, params, { dscpPolicy, sip, cluster, progress: run?.next(f), until: run?.until }));
    }
  } finally {
    run?.end();
  }
  const partial = run?.interrupted ? partialNote(collected.map((c) => c.report), files) : null;
  if (partial !== null && collected.length > 0) collected[collected.length - 1].report.warnings.push(`partial report: ${partial}`);
  return { html: renderReport({ files: collected, generatedAt: now, version: UCPROBE_VERSION }), files: collected, partial };
}

export function addReportCommand(program: Command): void {
  const cmd = program
    .command('report')
    .description('one self-contained HTML file: capture facts, heartbeat interval plots, event timeline, SIP ladders, DSCP verdicts')
    .argument('<files...>', "pcap or pcapng files, optionally gzipped; '-' reads stdin; one section each")
    .requiredOption('-o, --output <file>', "where to write the HTML ('-' for stdout)")
    .option('--policy <file>', 'DSCP policy (YAML or JSON) to audit every flow against; the built-in Cisco UC policy otherwise')
    .option('--sip-timeout <time>', 'SIP transaction timeout: no final response within this long, e.g. 4s (default 32s, 64*T1; a bare number is ms)');
  for (const o of [...decodeOptions(), ...heartbeatOptions(), quietOption()]) cmd.addOption(o);
  cmd.action(async (files: string[], flags: ReportFlags & { quiet?: boolean }) => {
    if (flags.output === '') throw new UsageError("--output: expected a file name or '-'");
    const { html, files: collected, partial } = await buildReport(files, flags, new Date(), new LongRun(flags.quiet === true, files.includes('-')));
    const n = Buffer.byteLength(html);
    if (flags.output === '-') {
      const out = new StdoutWriter();
      out.line(html.endsWith('\n') ? html.slice(0, -1) : html);
      out.flush();
    } else {
      try {
        writeFileSync(flags.output, html);
      } catch (e) {
        throw new UsageError(`--output ${flags.output}: ${ioReason(e, 'no such directory')}`);
      }
    }
    const where = flags.output === '-' ? 'the report to stdout' : flags.output;
    for (const r of collected) for (const w of r.report.warnings) process.stderr.write(`ucprobe: warning: ${w}\n`);
    if (partial !== null) {
      process.stderr.write(`ucprobe: ${partial}; wrote ${where} (${size(n)})\n`);
      process.exit(EXIT_INTERRUPTED);
    }
    // A capture that broke off is still reported up to the break (its section says so), but the run
    // is not a success: exit 2 with one line that gives the error and what was written.
    const broken = collected.find((r) => r.report.error !== null);
    if (broken?.report.error) throw new CaptureError(`${broken.report.error}; what was read before it is in ${where} (${size(n)})`);
    process.stderr.write(`ucprobe: wrote ${where} (${size(n)}, ${collected.length} capture${collected.length === 1 ? '' : 's'})\n`);
  });
}
