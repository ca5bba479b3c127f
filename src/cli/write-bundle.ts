// Build step: the command line's modules, compiled by tsc into dist/, joined
// into a few files in dist/src/bundle/ that bin/ucprobe.js loads. Node 20's
// module loader spends about 0.8 ms on each of the ~130 files `analyze`
// needs (resolving, reading, linking): loaded as one bundle with its lazy
// chunks, `analyze` of the demo capture takes 0.21-0.22 s instead of
// 0.28-0.38 s, and each worker of `analyze a b` starts sooner the same way.
//
// The bundle sits at the same depth under dist/ as the modules it joins, so
// the paths they find their files by (the .proto, the native addon, the
// worker's own entry beside its starter) stay right; packages stay outside
// it, loaded from node_modules as before.

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const dist = fileURLToPath(new URL('../../', import.meta.url));
const out = join(dist, 'src', 'bundle');
/** What bin/ucprobe.js loads, and the worker the analyze command starts (by its name, beside the code that starts it). */
const ENTRIES = ['src/cli/main.js', 'src/cli/workers-ahead.js', 'src/cli/analyze-worker.js'];

rmSync(out, { recursive: true, force: true });
await build({
  entryPoints: ENTRIES.map((e) => join(dist, e)),
  outdir: out,
  bundle: true,
  // One copy of each module for all entries (workers-ahead's started workers are the ones analyze takes).
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
});
