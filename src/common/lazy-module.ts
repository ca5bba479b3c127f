// A CommonJS package loaded on first use, not at start-up: every command
// would otherwise pay for the YAML parser and protobuf runtime (65 ms of
// `analyze`'s start) whether it reads a policy file or writes pb or not.

import { createRequire } from 'node:module';

const requireHere = createRequire(import.meta.url);

/** `name` resolved as an import from here would be; loaded at the first call, the same module after. */
export function lazyModule<T>(name: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= requireHere(name) as T);
}
