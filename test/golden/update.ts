// Rewrites the golden pins (test/golden/pins.json and the analyze text in
// test/golden/text/) from what this checkout prints:
//
//   node --import tsx test/golden/update.ts            rewrite the pins
//   node --import tsx test/golden/update.ts --dump DIR write every output, normalized, into DIR
//                                                      (pins untouched): run it before and after
//                                                      a change, then `diff -r BEFORE AFTER`
//
// Without the corpus, its pins are kept as they are (and said so).

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inputNames, outputsOf, PINS_FILE, pinsText, prepareInputs, readPins, sha256, TEXT_INPUTS, writeText, type Pins } from './golden.js';
import { hasCorpus } from '../helpers.js';

const dumpAt = process.argv.indexOf('--dump');
const dumpDir = dumpAt >= 0 ? process.argv[dumpAt + 1] : undefined;
if (dumpAt >= 0 && !dumpDir) {
  process.stderr.write('usage: node --import tsx test/golden/update.ts [--dump DIR]\n');
  process.exit(2);
}

const { dir, cleanup } = await prepareInputs();
try {
  const old = readPins();
  const pins: Pins = {};
  // Corpus pins stay when the corpus is not here to remake them.
  if (!hasCorpus) for (const [input, outs] of Object.entries(old)) if (input.startsWith('corpus/')) pins[input] = outs;
  for (const input of inputNames()) {
    const outputs = await outputsOf(dir, input);
    pins[input] = Object.fromEntries([...outputs].map(([name, bytes]) => [name, sha256(bytes)]));
    if (dumpDir) {
      const at = join(dumpDir, input);
      mkdirSync(at, { recursive: true });
      for (const [name, bytes] of outputs) writeFileSync(join(at, name), bytes);
    } else if (TEXT_INPUTS.includes(input)) writeText(input, outputs.get('analyze.txt')!);
  }
  if (dumpDir) process.stdout.write(`wrote ${inputNames().length} inputs' outputs under ${dumpDir}\n`);
  else {
    const text = pinsText(pins);
    const changed = Object.keys(pins).flatMap((i) => Object.keys(pins[i]).filter((o) => old[i]?.[o] !== pins[i][o]).map((o) => `${i} ${o}`));
    changed.push(...Object.keys(old).filter((i) => !(i in pins)).map((i) => `${i} (removed)`));
    writeFileSync(PINS_FILE, text);
    process.stdout.write(`${PINS_FILE}: ${Object.keys(pins).length} inputs, ${Object.values(pins).reduce((n, o) => n + Object.keys(o).length, 0)} pins; ${changed.length} changed${changed.length ? `:\n  ${changed.join('\n  ')}` : ''}\n`);
    if (!hasCorpus) process.stdout.write(`no corpus: its ${Object.keys(pins).length - inputNames().length} inputs' pins are kept as they were\n`);
  }
} finally {
  cleanup();
}
