// `ucprobe dissect`: decode every packet of a capture and print it.

import { readCapture } from '../sources/capture-reader.js';
import { Pipeline } from '../pipeline/pipeline.js';
import { packetJson, packetLine } from '../output/packet-line.js';
import { packetTree } from '../output/packet-tree.js';
import { PbStreamWriter } from '../pb/stream.js';
import { packetMessage } from '../pb/records.js';
import type { TimeStyle } from '../common/time-format.js';
import type { PacketRecord } from '../../dissectors/types.js';
import { detectorFlags, pipelineOptions, type DecodeFlags } from './options.js';
import { hepSettings, startHep, type HepFlags } from './hep-options.js';
import { outputFormat, outputWriter, type FormatFlags } from './format.js';
import { UsageError } from '../common/errors.js';
import { packetFilter, type PacketFilterFlags } from './packet-filter.js';
import { jsonText } from '../output/json-text.js';
import { sanitize } from '../output/sanitize.js';
import { fieldsHeader, fieldsLayout, fieldsLine } from '../output/packet-fields.js';
import { compileDisplayFilter, DisplayFilterError, type DisplayFilter } from '../output/display-filter.js';

function displayFilter(expr: string): DisplayFilter {
  try {
    return compileDisplayFilter(expr);
  } catch (e) {
    if (e instanceof DisplayFilterError) throw new UsageError(`-Y '${expr}': ${e.message}`);
    throw e;
  }
}
import { filterFrames, type CaptureFilter } from '../sources/bpf.js';
import { RingCaptureWriter } from '../writer/ring-writer.js';
import type { FrameHandler } from '../sources/types.js';

export interface DissectFlags extends DecodeFlags, FormatFlags, HepFlags, PacketFilterFlags {
  verbose?: boolean;
  time: TimeStyle;
  count?: string;
  filter?: string;
  /** The capture filter, compiled (from -f or the words after the file). */
  capture?: CaptureFilter;
  /** -w: also write the packets printed to this pcapng file. */
  write?: string;
  /** -T fields with -e NAME...: chosen fields, tab-separated (tshark's -T/-e/-E). */
  outputFormat?: 'fields' | 'json' | 'text';
  field?: string[];
  fieldOption?: string[];
  /** -Y: a display filter over the decoded fields. */
  displayFilter?: string;
  /** -q: no packet printed (tshark's -q): -w only writes, else one summary line. */
  quiet?: boolean;
}

/** Returns the warnings the read produced. */
export async function dissect(file: string, flags: DissectFlags): Promise<string[]> {
  const t = flags.outputFormat;
  if (t !== undefined && flags.format !== undefined) throw new UsageError(`-T ${t} and --format ${flags.format}: pick one`);
  const format = t === 'json' ? 'json' : outputFormat(flags);
  if (format === 'pb' && flags.verbose) throw new UsageError('--verbose and --format pb: pick one');
  if ((flags.field?.length ?? 0) > 0 && t !== 'fields') throw new UsageError('-e NAME needs -T fields, as with tshark');
  if (t === 'fields' && !flags.field?.length) throw new UsageError('-T fields needs at least one -e NAME (e.g. -e src -e sip.method)');
  if (flags.quiet && (t !== undefined || flags.verbose || flags.format !== undefined || flags.json)) {
    throw new UsageError(`-q prints no packet: ${t !== undefined ? `-T ${t}` : flags.verbose ? '-V' : flags.json ? '--json' : `--format ${flags.format}`} has nothing to print (drop one)`);
  }
  const display = flags.displayFilter !== undefined ? displayFilter(flags.displayFilter) : null;
  const fields = t === 'fields' ? fieldsLayout(flags.field!, flags.fieldOption ?? [], (msg) => { throw new UsageError(msg); }) : null;
  const wanted = packetFilter(flags);
  // -T json: one JSON array of the --json records, as tshark -T json prints one document.
  const jsonArray = t === 'json';
  let pendingJson: string | null = null;
  const out = outputWriter(flags, format);
  const pb = format === 'pb' ? new PbStreamWriter(out, 'dissect', [file]) : null;
  if (fields?.header) out.line(fieldsHeader(fields));
  let origin: number | null = null;
  const limit = flags.count !== undefined ? Number(flags.count) : Infinity;
  // -c counts the packets printed (those the filter lets through); --hep sends up to the frame that filled it.
  let printed = 0;
  let lastFrame = limit === 0 ? 0 : Infinity;
  // -w: the frame being decoded, written when its record is printed (each link type an interface of its own, ns kept).
  const saved = flags.write !== undefined ? new RingCaptureWriter({ path: flags.write }) : null;
  const print = (rec: PacketRecord): void => {
    if (printed >= limit || (wanted !== null && !wanted(rec))) return;
    // The JSON view, made once for -Y and the output that prints it.
    const j = display !== null || fields !== null || format === 'json' ? packetJson(rec) : null;
    if (display !== null && !display(j!)) return;
    if (++printed === limit) lastFrame = rec.frame;
    saved?.writeFrameOf(rec);
    origin ??= rec.tsSec + rec.tsNsec / 1e9;
    if (flags.quiet) return;
    if (pb) pb.write({ packet: packetMessage(rec) });
    else if (fields) out.line(fieldsLine(j!, fields));
    else if (jsonArray) {
      // Each record waits for the next to know whether a comma follows it.
      out.line(pendingJson === null ? '[' : `${pendingJson},`);
      pendingJson = jsonText(j!);
    }
    else if (format === 'json') out.line(jsonText(j!));
    else if (flags.verbose) out.line(`${packetTree(rec)}\n`);
    else out.line(packetLine(rec, flags.time, origin));
  };
  const hepWanted = hepSettings(flags);
  // --hep: SIP messages and heartbeat events also go to a collector, from the same records.
  const hep = hepWanted ? await startHep(hepWanted, pipelineOptions(flags), detectorFlags(flags)) : null;
  // -c bounds what is sent as well as what is printed; the heartbeat analysis ends at the last packet counted.
  let lastCounted: number | null = null;
  const send = (rec: PacketRecord): void => {
    if (rec.frame > lastFrame) return;
    lastCounted = rec.tsSec + rec.tsNsec / 1e9;
    hep!.sink.add(rec);
  };
  const pipeline = new Pipeline(hep ? [print, send] : [print], pipelineOptions(flags));
  let error = '';
  try {
    // With --hep the file is read no faster than the packets go out.
    // With -c the read stops once the count is printed: `dissect huge.pcap -c 10` does not read the rest.
    const counted = (): boolean => printed >= limit;
    const decode: FrameHandler = saved ? saved.tap(pipeline.frame) : pipeline.frame;
    const frames = flags.capture ? filterFrames(decode, flags.capture) : decode;
    const facts = hep ? await hep.read(file, frames, counted) : await readCapture(file, frames, undefined, counted);
    await hep?.finish(lastFrame === Infinity ? facts.lastTs : lastCounted);
    // -q without -w: what was selected, counted, as tshark -q -z would sum it up.
    if (flags.quiet && saved === null) out.line(`${sanitize(file)}: ${printed} packets selected of ${facts.packets} read`);
    return facts.warnings;
  } catch (e) {
    error = (e as Error).message;
    await hep?.abort();
    throw e;
  } finally {
    saved?.close();
    if (jsonArray && error === '') out.line(pendingJson === null ? '[]' : `${pendingJson}\n]`);
    if (pb) pb.end(error);
    else out.close();
  }
}
