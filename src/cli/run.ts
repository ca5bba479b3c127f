// `ucprobe run <scenario>`: send the scenario's streams with their phases,
// check every expectation against a monitor (here or remote) or the wire,
// print a pass/fail table; exit 0 only when all held.

import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { loadScenario } from './scenario-file.js';
import { runScenario } from '../run/run.js';
import { runJson, runJunit, runText } from '../output/run-report.js';
import { StdoutWriter } from '../output/stdout-writer.js';
import { hostPort } from './parse.js';
import { EXIT_FAIL_ON, UsageError } from '../common/errors.js';

interface RunFlags {
  remoteMonitor?: string;
  verifyCapture?: string;
  report?: string;
  junit?: string;
  write?: string;
  json?: boolean;
}

function save(path: string, text: string, what: string): void {
  try {
    writeFileSync(path, text);
  } catch (e) {
    throw new UsageError(`${what} ${path}: cannot write: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

export function addRunCommand(program: Command): void {
  program
    .command('run')
    .description('run a loss-injection scenario (YAML or JSON) and check that failover happens when, and only when, it should')
    .argument('<scenario>', 'scenario file; see examples/scenarios/')
    .option('--remote-monitor <host:port>', 'check against `ucprobe monitor --events-listen PORT` on another host (streams go to its UDP port)')
    .option('--verify-capture <iface>', 'check against the wire: capture the run on this interface (needs root or CAP_NET_RAW)')
    .option('--report <run.json>', 'write the whole run as JSON')
    .option('--junit <run.xml>', 'write the verdicts as JUnit XML')
    .option('--write <sent.pcapng>', 'also write what was sent')
    .option('--json', 'print the run as JSON instead of the table')
    .action(async (file: string, flags: RunFlags) => {
      const scenario = loadScenario(file);
      const remote = flags.remoteMonitor ? hostPort(flags.remoteMonitor, '--remote-monitor') : undefined;
      const stop = new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
      const out = new StdoutWriter();
      if (!flags.json) {
        const seconds = Math.max(...scenario.streams.map((s) => s.count * s.intervalMs)) / 1000 + scenario.settleMs / 1000;
        out.line(`running ${scenario.name}: ${scenario.streams.length} stream(s), about ${seconds.toFixed(1)} s`);
        out.flush();
      }
      const result = await runScenario(scenario, { remote, verifyCapture: flags.verifyCapture, write: flags.write, stop });
      if (flags.report) save(flags.report, `${JSON.stringify(runJson(result), null, 2)}\n`, '--report');
      if (flags.junit) save(flags.junit, runJunit(result), '--junit');
      out.line(flags.json ? JSON.stringify(runJson(result), null, 2) : runText(result));
      out.flush();
      if (!result.passed) process.exitCode = EXIT_FAIL_ON;
    });
}
