#!/usr/bin/env -S node --max-semi-space-size=8 --min-semi-space-size=8 --initial-old-space-size=32 --heap-growing-percent=80
// Entry point: runs the compiled CLI (npm install builds it into dist/).
// The #! line sets V8's heap for long captures (README, bench):
// - the young generation fixed at 2 x 8 MiB: left to grow, it doubles part-way
//   through a long capture (16 -> 32 MiB), so RSS would follow the file's size;
// - the old generation starting at 32 MiB, which spares a full collection
//   during start-up (analyze a few per cent faster, less RSS growth);
// - the old generation let grow 80 % past what the last full collection kept.
//   Left to V8, it grew up to 4x, and peak RSS followed the file's length:
//   the cluster-shaped mix 128 MiB at 1 M packets, 183 MiB at 4 M; SIP only
//   268 MiB at 1 M messages, 329 MiB at 3 M. With it: 122 / 131, 194 / 206,
//   for 1-5 % more CPU. (At 20 % it cost SIP 40-55 % more CPU.)
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// dist/src/bundle/: the command line's modules joined by the build (src/cli/write-bundle.ts), quicker to load.
const main = fileURLToPath(new URL('../dist/src/bundle/main.js', import.meta.url));
if (!existsSync(main)) {
  process.stderr.write('ucprobe: not built yet: run `npm install` (or `npm run build`) in the ucprobe folder\n');
  process.exit(2);
}
// --version alone needs none of the commands: answer it before loading them (0.06 s, not 0.3 s).
if (process.argv.length === 3 && process.argv[2] === '--version') {
  const { UCPROBE_VERSION } = await import(new URL('../dist/src/version.js', import.meta.url).href);
  process.stdout.write(`${UCPROBE_VERSION}\n`);
} else {
  // Workers the command will want start loading beside this thread's modules.
  const { startAhead } = await import(new URL('../dist/src/bundle/workers-ahead.js', import.meta.url).href);
  startAhead(process.argv);
  const { main: run } = await import(main);
  await run(process.argv);
}
