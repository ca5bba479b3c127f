// `ucprobe decode-pb <file>`: a `--format pb` stream back as JSON lines, one
// per record, named as in src/pb/ucprobe.proto ({"packet": {...}}).

import type { Command } from 'commander';
import { inputChunks } from '../sources/capture-reader.js';
import { newFacts } from '../sources/types.js';
import { StdoutWriter } from '../output/stdout-writer.js';
import { JSON_OPTIONS, recordMessageType } from '../pb/schema.js';
import { PbStreamError, readPbStream } from '../pb/stream.js';
import { UsageError } from '../common/errors.js';
import { jsonText } from '../output/json-text.js';

/** Returns the warnings (a stream without its End record). */
export async function decodePb(path: string): Promise<string[]> {
  const type = recordMessageType();
  const out = new StdoutWriter();
  const name = path === '-' ? 'stdin' : path;
  let records = 0;
  let ended = false;
  try {
    for await (const { offset, message } of readPbStream(inputChunks(path, newFacts()))) {
      const obj = type.toObject(message, JSON_OPTIONS);
      if (records === 0 && !('header' in obj)) throw new PbStreamError(`byte ${offset}: the first record is not a Header: not a ucprobe protobuf stream`);
      if (ended) throw new PbStreamError(`byte ${offset}: a record after the End record`);
      ended = 'end' in obj;
      out.line(jsonText(obj));
      records++;
    }
  } catch (e) {
    out.flush();
    if (e instanceof PbStreamError) throw new UsageError(`${name}: ${e.message}, after ${records} records`);
    throw e;
  }
  out.flush();
  if (records === 0) throw new UsageError(`${name}: empty: not a ucprobe protobuf stream`);
  return ended ? [] : [`${name}: no End record after ${records} records: the stream was cut short (the writer was killed or is still running)`];
}

export function addDecodePbCommand(program: Command, warn: (msg: string) => void): void {
  program
    .command('decode-pb')
    .description('print a --format pb stream as JSON lines, one record each')
    .argument('<file>', "a file written with --format pb (optionally gzipped); '-' reads stdin")
    .action(async (file: string) => {
      for (const w of await decodePb(file)) warn(w);
    });
}
