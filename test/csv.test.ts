// `analyze --format csv`: the per-stream, per-flow and per-call tables hold
// the report's values, quoted by RFC 4180, and packet text cannot become a
// spreadsheet formula.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { REPO, runCli } from './helpers.js';
import { analyzeFile } from '../src/analysis/analyze.js';
import { csv } from '../src/output/csv.js';
import { isoTime } from '../src/output/time-format.js';

const DEMO = join(REPO, 'captures', 'demo.pcap');

/** RFC 4180 rows: quoted fields may hold commas, quotes ("") and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  return rows;
}

function table(args: string[]): Array<Record<string, string>> {
  const r = runCli(['analyze', DEMO, '--format', 'csv', ...args]);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.stdout.endsWith('\r\n'));
  const [header, ...rows] = parseCsv(r.stdout);
  for (const row of rows) assert.equal(row.length, header.length);
  return rows.map((row) => Object.fromEntries(header.map((h, i) => [h, row[i]])));
}

test('streams table: one row per heartbeat stream with the report values', async () => {
  const report = await analyzeFile(DEMO);
  const rows = table([]);
  assert.equal(rows.length, report.heartbeats.streams.length);
  for (const [i, s] of report.heartbeats.streams.entries()) {
    const row = rows[i];
    assert.equal(row.stream, s.key);
    assert.equal(Number(row.received), s.received);
    assert.equal(Number(row.lost), s.lost);
    assert.equal(Number(row.longest_miss_run), s.longestMissRun);
    assert.equal(Number(row.failovers), s.failovers);
    assert.equal(Number(row.last_seq), s.lastSeq);
    assert.equal(row.first_time, isoTime(s.firstTime));
    assert.equal(Number(row.interval_p50_ms), s.intervalMs?.p50);
  }
  assert.ok(rows.some((r) => Number(r.failovers) === 1 && Number(r.longest_miss_run) >= 5), 'the demo failover stream');
});

test('flows and calls tables: DSCP verdicts and calls of the report', async () => {
  const report = await analyzeFile(DEMO);
  const flows = table(['--table', 'flows']);
  assert.equal(flows.length, report.dscpAudit.flows.length);
  for (const [i, f] of report.dscpAudit.flows.entries()) {
    assert.equal(flows[i].flow, f.flow);
    assert.equal(flows[i].verdict, f.verdict);
    assert.equal(Number(flows[i].packets), f.packets);
  }
  const bad = flows.find((f) => f.verdict === 'violation');
  assert.ok(bad, 'the demo has a wrongly marked flow');
  assert.equal(bad.expected, 'EF');
  const calls = table(['--table', 'calls']);
  assert.equal(calls.length, report.sipAnalysis.calls.calls.length);
  calls.forEach((c, i) => {
    assert.equal(c.call_id, report.sipAnalysis.calls.calls[i].callId);
    assert.equal(c.state, report.sipAnalysis.calls.calls[i].state);
  });
});

test('quoting: commas, quotes and line breaks survive; text cannot start a formula; null is empty', () => {
  const text = csv(['a', 'b', 'c', 'd'], [['x,y', 'say "hi"', 'two\nlines', null], ['=HYPERLINK("http://evil")', '@SUM(A1)', -5, '-1+2']]);
  assert.deepEqual(parseCsv(text), [
    ['a', 'b', 'c', 'd'],
    ['x,y', 'say "hi"', 'two\nlines', ''],
    ["'=HYPERLINK(\"http://evil\")", "'@SUM(A1)", '-5', "'-1+2"],
  ]);
});

test('--table without csv output is harmless; a bad table name is one usage line', () => {
  const r = runCli(['analyze', DEMO, '--format', 'csv', '--table', 'nope']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--table.*nope/);
});
