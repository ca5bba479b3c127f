// The protobuf schema, loaded from the .proto itself (protobufjs parses it at
// start-up), so the file in the repository is the only definition there is.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type protobuf from 'protobufjs';
import { lazyModule } from '../common/lazy-module.js';

/** The protobuf runtime, loaded when a command first reads or writes pb (not at every start). */
export const protobufjs = lazyModule<typeof protobuf>('protobufjs');

/** Next to this module under tsx; in the source tree from dist/src/pb/. */
const CANDIDATES = ['./ucprobe.proto', '../../../src/pb/ucprobe.proto'];

export function schemaPath(): string {
  for (const c of CANDIDATES) {
    const p = fileURLToPath(new URL(c, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw new Error('src/pb/ucprobe.proto is missing from the installation');
}

let recordType: protobuf.Type | null = null;

/** The `ucprobe.v1.Record` type, every stream's unit. */
export function recordMessageType(): protobuf.Type {
  recordType ??= protobufjs().loadSync(schemaPath()).lookupType('ucprobe.v1.Record');
  return recordType;
}

/** How `decode-pb` and the tests turn a decoded record into JSON: the .proto's names, enums by name, defaults shown. */
export const JSON_OPTIONS: protobuf.IConversionOptions = { longs: Number, enums: String, defaults: true, arrays: true };
