// `ucprobe dissect`: decode every packet of a capture and print it.

import { readCapture } from '../sources/capture-reader.js';
import { Pipeline } from '../pipeline/pipeline.js';
import { packetJson, packetLine } from '../output/packet-line.js';
import { packetTree } from '../output/packet-tree.js';
import { StdoutWriter } from '../output/stdout-writer.js';
import type { TimeStyle } from '../output/time-format.js';
import type { PacketRecord } from '../../dissectors/types.js';
import { pipelineOptions, type DecodeFlags } from './options.js';

export interface DissectFlags extends DecodeFlags {
  json?: boolean;
  verbose?: boolean;
  time: TimeStyle;
  count?: string;
}

/** Returns the warnings the read produced. */
export async function dissect(file: string, flags: DissectFlags): Promise<string[]> {
  const out = new StdoutWriter();
  let origin: number | null = null;
  const limit = flags.count !== undefined ? Number(flags.count) : Infinity;
  const print = (rec: PacketRecord): void => {
    if (rec.frame > limit) return;
    origin ??= rec.tsSec + rec.tsNsec / 1e9;
    if (flags.json) out.line(JSON.stringify(packetJson(rec)));
    else if (flags.verbose) out.line(`${packetTree(rec)}\n`);
    else out.line(packetLine(rec, flags.time, origin));
  };
  const pipeline = new Pipeline([print], pipelineOptions(flags));
  try {
    const facts = await readCapture(file, pipeline.frame);
    return facts.warnings;
  } finally {
    out.flush();
  }
}
