// Golden outputs: `analyze` text, --json, --format csv --table (streams,
// flows, calls, rtp), --format pb and the HTML `report` must stay byte for
// byte what test/golden/pins.json says (a sha256 each, normalized as
// test/golden/golden.ts documents: the report's generation time and version,
// the pb header's writtenAt and toolVersion), on captures/demo.pcap, every
// corpus capture and the benchmark's shapes written small (mixed 20k packets
// seed 7, its IPv6 copy, SIP-only 20k). The demo's and the bench shapes'
// analyze text is also kept whole in test/golden/text/.
//
// A change that means to change an output rewrites the pins:
//   node --import tsx test/golden/update.ts
// then `git diff test/golden` shows the text that changed and which hashes did;
// to see every output's diff, dump them before and after the change:
//   node --import tsx test/golden/update.ts --dump /tmp/before   (on the old commit)
//   node --import tsx test/golden/update.ts --dump /tmp/after    (on yours)
//   diff -r /tmp/before /tmp/after
//
// Runs in-process, through the CLI's own main (17-28 s wall, 10 s CPU on the loaded
// 2-core development machine; a fresh node per command would take minutes).
// Output names only relative paths and UTC times, so neither where the
// repository lives nor the time zone or locale matters (the test runs under
// TZ=Pacific/Chatham LANG=de_DE.UTF-8 as under UTC).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { inputNames, OUTPUTS, outputsOf, PINS_FILE, prepareInputs, readPins, sha256, TEXT_INPUTS, textFile, UPDATE_COMMAND } from './golden/golden.js';
import { hasCorpus, needsCorpus, REPO } from './helpers.js';

const pins = readPins();
const inRepo = (path: string): string => relative(REPO, path);
let work: { dir: string; cleanup: () => void } | undefined;
/** Where the outputs that differ are written, for a look or a diff. */
const differDir = join(tmpdir(), `ucprobe-golden-differ-${process.pid}`);

before(async () => {
  work = await prepareInputs();
});
after(() => work?.cleanup());

const HOW = `if the change is meant, rewrite the pins: ${UPDATE_COMMAND} (then git diff test/golden); `
  + `to see each output's diff: ${UPDATE_COMMAND} --dump DIR on the commit before and on yours, then diff -r`;

for (const input of inputNames()) {
  test(`golden outputs of ${input}`, async () => {
    const want = pins[input];
    assert.ok(want, `${input}: no pins in ${inRepo(PINS_FILE)}: ${UPDATE_COMMAND}`);
    const got = await outputsOf(work!.dir, input);
    const differ: string[] = [];
    const keep = (name: string): string => {
      const at = join(differDir, input, name);
      mkdirSync(join(at, '..'), { recursive: true });
      writeFileSync(at, got.get(name)!);
      return at;
    };
    for (const { name } of OUTPUTS) {
      if (sha256(got.get(name)!) !== want[name]) differ.push(`(${input}, ${name}) differs from its pin${want[name] === undefined ? ' (none)' : ''}; this run's output: ${keep(name)}`);
    }
    if (TEXT_INPUTS.includes(input)) {
      const kept = existsSync(textFile(input)) ? readFileSync(textFile(input)) : null;
      if (!kept?.equals(got.get('analyze.txt')!)) differ.push(`(${input}, analyze.txt): diff ${inRepo(textFile(input))} ${keep('analyze.txt')}`);
    }
    if (differ.length > 0) assert.fail(`${differ.join('\n')}\n${HOW}`);
  });
}

// Corpus captures pinned but not here: without the corpus one skipped test (helpers.ts said so once),
// else one per capture missing from it.
const missing = Object.keys(pins).filter((i) => i.startsWith('corpus/') && !inputNames().includes(i));
if (!hasCorpus) test(`golden outputs of the ${missing.length} corpus captures`, { skip: needsCorpus }, () => {});
else for (const input of missing) test(`golden outputs of ${input}`, { skip: `${input} is not in the corpus` }, () => {});

test('no pins for inputs that are gone, nor outputs that are not made', () => {
  const inputs = new Set(inputNames());
  const stale = Object.keys(pins).filter((i) => !inputs.has(i) && !i.startsWith('corpus/'));
  assert.deepEqual(stale, [], `pinned but not an input any more: ${UPDATE_COMMAND}`);
  const outputs = OUTPUTS.map((o) => o.name).sort();
  for (const [input, outs] of Object.entries(pins)) assert.deepEqual(Object.keys(outs).sort(), outputs, input);
});
