// What `analyze` and `report` do around a long read: a progress line on
// stderr when it is a terminal (not with -q), and Ctrl-C that stops the read
// where it is so the report of what was read so far can still be written,
// marked partial (a second Ctrl-C quits at once). Exit 130 then, as a shell
// expects of a run ended by SIGINT.

import { Option } from 'commander';
import { ProgressLine, PROGRESS_INTERVAL_MS } from '../output/progress.js';
import { newProgress, type ReadProgress } from '../sources/types.js';
import { interruptPipeReads } from '../sources/capture-reader.js';
import type { FileReport } from '../analysis/analyze.js';
import { sanitize } from '../output/sanitize.js';
import { EXIT_INTERRUPTED } from '../common/errors.js';

/** -q as tshark's: the results only; `what` says what it leaves out on this command. */
export function quietOption(what = 'no progress line on a terminal'): Option {
  return new Option('-q, --quiet', what);
}

export class LongRun {
  interrupted = false;
  /** For the reader: stop after this packet. */
  readonly until = (): boolean => this.interrupted;
  private readonly line: ProgressLine | null;
  private readonly timer: NodeJS.Timeout | null = null;
  private readonly onSigint = (): void => {
    if (this.interrupted) process.exit(EXIT_INTERRUPTED);
    this.interrupted = true;
    // A read waiting on stdin or a pipe would wait on: closing it ends the wait (the reader knows why).
    if (this.readsStdin) process.stdin.destroy();
    interruptPipeReads();
  };

  constructor(quiet: boolean, private readonly readsStdin: boolean) {
    this.line = !quiet && process.stderr.isTTY ? new ProgressLine(process.stderr) : null;
    if (this.line) {
      this.timer = setInterval(() => this.line?.tick(), PROGRESS_INTERVAL_MS);
      this.timer.unref();
    }
    process.on('SIGINT', this.onSigint);
  }

  /** The progress to hand the reader of the next input. */
  next(name: string): ReadProgress {
    const p = newProgress();
    this.line?.begin(name === '-' ? 'stdin' : name, p);
    return p;
  }

  /** The reading is over: the line is erased; Ctrl-C is the shell's again. */
  end(): void {
    if (this.timer) clearInterval(this.timer);
    this.line?.clear();
    process.off('SIGINT', this.onSigint);
  }
}

/** What an interrupted run's report covers: "interrupted (Ctrl-C) after 1234 packets of a.pcap; not read: b.pcap". */
export function partialNote(reports: FileReport[], files: string[], cut: readonly FileReport[] = []): string {
  const notRead = files.slice(reports.length).map(sanitize);
  // Files read side by side (`cut`, from analyzeInWorkers) were all cut where they stood, in command-line order; one after another, the last.
  const named = cut.length > 0 ? reports.filter((r) => cut.includes(r)) : reports.slice(-1);
  const where = named.length > 0 ? ` after ${named.map((r) => `${r.capture.packets} packets of ${sanitize(r.file === '-' ? 'stdin' : r.file)}`).join(', ')}` : '';
  return `interrupted (Ctrl-C)${where}: the report covers what was read${notRead.length ? `; not read: ${notRead.join(', ')}` : ''}`;
}
