#!/usr/bin/env node
// Entry point: runs the compiled CLI (npm install builds it into dist/).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
if (!existsSync(main)) {
  process.stderr.write('ucprobe: not built yet: run `npm install` (or `npm run build`) in the ucprobe folder\n');
  process.exit(2);
}
const { main: run } = await import(main);
await run(process.argv);
