// --format and -o, shared by the commands that can write more than text.

import { Option } from 'commander';
import { openOutput, type StdoutWriter } from '../output/stdout-writer.js';
import { UsageError } from '../common/errors.js';

export type OutputFormat = 'text' | 'json' | 'pb' | 'csv';

export interface FormatFlags {
  format?: OutputFormat;
  json?: boolean;
  output?: string;
}

const FORMAT_HELP: Record<OutputFormat, string> = {
  text: 'text: lines for people',
  json: 'json: as --json',
  pb: 'pb: length-delimited protobuf records (src/pb/ucprobe.proto; read back with `ucprobe decode-pb`)',
  csv: 'csv: a table for spreadsheets (--table)',
};

/** Fresh options each call (commander binds an Option to one command). */
export function formatOptions(formats: OutputFormat[]): Option[] {
  return [
    new Option('--format <format>', `output format: ${formats.map((f) => FORMAT_HELP[f]).join('; ')}`).choices(formats),
    new Option('-o, --output <file>', "write the output to this file instead of stdout ('-': stdout)"),
  ];
}

/** The format asked for: --format, or json for --json, else text. */
export function outputFormat(flags: FormatFlags): OutputFormat {
  if (flags.json && flags.format !== undefined && flags.format !== 'json') throw new UsageError(`--json and --format ${flags.format}: pick one`);
  return flags.format ?? (flags.json ? 'json' : 'text');
}

/** No -o FILE (or -o -): the output is stdout. */
export function toStdout(flags: FormatFlags): boolean {
  return flags.output === undefined || flags.output === '-';
}

/** Where the output goes; binary protobuf is not written to a terminal. */
export function outputWriter(flags: FormatFlags, format: OutputFormat): StdoutWriter {
  if (format === 'pb' && toStdout(flags) && process.stdout.isTTY) throw new UsageError('--format pb: binary output to a terminal; add -o FILE or pipe it (| ucprobe decode-pb -)');
  return openOutput(flags.output, '--output');
}
