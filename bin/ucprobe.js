#!/usr/bin/env -S node --max-semi-space-size=8 --min-semi-space-size=8 --initial-old-space-size=32
// Entry point: runs the compiled CLI (npm install builds it into dist/).
// The #! line fixes V8's young generation at 2 x 8 MiB: left to grow, it
// doubles part-way through a long capture (16 -> 32 MiB), so RSS would follow
// the file's size; fixed, RSS stays flat and analyze is as fast. It also lets
// the old generation start at 32 MiB, which spares a full collection during
// start-up: analyze is a few per cent faster and its peak RSS grows less with
// the file (README, bench).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
if (!existsSync(main)) {
  process.stderr.write('ucprobe: not built yet: run `npm install` (or `npm run build`) in the ucprobe folder\n');
  process.exit(2);
}
const { main: run } = await import(main);
await run(process.argv);
