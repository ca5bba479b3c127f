// analyze --json against the JSON Schema shipped in the package
// (src/output/analyze.schema.json): on the demo, gzip, a hostile SIP call, a SIP
// over TCP capture, --correlate, a partial run, and every corpus capture; and
// the checker itself catches what breaks the schema.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { REPO, corpusCaptures, runCli } from './helpers.js';
import { validate, type Schema } from './json-schema.js';

const SCHEMA = JSON.parse(readFileSync(join(REPO, 'src', 'output', 'analyze.schema.json'), 'utf8')) as Schema;
const DEMO = join(REPO, 'captures', 'demo.pcap');

function analyzeJson(args: string[]): unknown {
  const r = runCli(['analyze', '--json', ...args]);
  assert.ok(r.status === 0 || r.status === 2, `${args.join(' ')}: exit ${r.status} ${r.stderr}`);
  return JSON.parse(r.stdout);
}

test('the checker: the demo report keeps the schema; a missing, mistyped or unknown field is named', () => {
  const doc = analyzeJson([DEMO]) as { schemaVersion: number; files: Array<Record<string, unknown>> };
  assert.deepEqual(validate(doc, SCHEMA), []);
  assert.equal(doc.schemaVersion, 1);
  const broken = structuredClone(doc) as Record<string, unknown> & { files: Array<Record<string, Record<string, unknown>>> };
  delete broken.schemaVersion;
  broken.files[0].capture.packets = 'many';
  broken.files[0].capture.extra = 1;
  (broken.files[0].heartbeats.events as Array<Record<string, unknown>>)[0].type = 'lunch';
  assert.deepEqual(validate(broken, SCHEMA), [
    '$: schemaVersion is missing',
    '$.files[0].capture.packets: string, expected integer',
    '$.files[0].capture: extra is not in the schema',
    '$.files[0].heartbeats.events[0].type: "lunch" is not one of ["loss","failover","recovery","restart","reset","unexplained-reset","monitor-stalled"]',
  ]);
});

test('analyze --json keeps the schema: gzip, two files with --correlate, a capture that breaks off, and every corpus capture', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'ucprobe-schema-'));
  const gz = join(tmp, 'demo.pcap.gz');
  writeFileSync(gz, gzipSync(readFileSync(DEMO)));
  const cut = join(tmp, 'cut.pcap');
  writeFileSync(cut, readFileSync(DEMO).subarray(0, 200_000));
  const runs: string[][] = [[gz], ['--correlate', DEMO, gz], [cut], [DEMO, cut], ...corpusCaptures().map((f) => [f])];
  for (const args of runs) assert.deepEqual(validate(analyzeJson(args), SCHEMA), [], args.join(' '));
});
