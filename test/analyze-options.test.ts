// `analyze` options of the heartbeat model as a script uses them: --fail-on
// exit status, the detector flags, and the JSON config file they override.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CORPUS, REPO, needsCorpus, runCli } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'ucprobe-options-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const demo = join(REPO, 'captures', 'demo.pcap');

function config(name: string, body: unknown): string {
  const p = join(tmp, name);
  writeFileSync(p, typeof body === 'string' ? body : JSON.stringify(body));
  return p;
}

function heartbeats(args: string[]): { status: number; stderr: string; hb: { totals: Record<string, number>; params: Record<string, number>; events: Array<{ type: string; reset?: unknown }> } } {
  const r = runCli(['analyze', '--json', demo, ...args]);
  return { status: r.status, stderr: r.stderr, hb: r.stdout ? JSON.parse(r.stdout).files[0].heartbeats : null };
}

function oneLine(stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, stderr);
  assert.match(lines[0], pattern);
}

test('--fail-on failover: exit 1 naming what held, with the report still printed', () => {
  const r = runCli(['analyze', demo, '--fail-on', 'failover']);
  assert.equal(r.status, 1);
  assert.match(r.stdout, /Heartbeat timeline/);
  oneLine(r.stderr, /^ucprobe: --fail-on: 1 failover\(s\) in .*demo\.pcap$/);
  // The demo's one failover was followed by its reset, and nothing reset without a failover.
  assert.equal(runCli(['analyze', demo, '--fail-on', 'missing-reset,unexplained-reset']).status, 0);
  assert.equal(runCli(['analyze', demo, '--fail-on', 'restart']).status, 1);
});

test('--fail-on failover is 0 on a capture with no heartbeats', { skip: needsCorpus }, () => {
  const r = runCli(['analyze', join(CORPUS, 'pcapplusplus__sdp.pcap'), '--fail-on', 'failover,loss']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Heartbeat streams \(0\)/);
});

test('--hb-threshold 4 makes the four-miss gap a failover, one with no reset', () => {
  const { status, hb } = heartbeats(['--hb-threshold', '4']);
  assert.equal(status, 0);
  assert.equal(hb.params.threshold, 4);
  assert.equal(hb.totals.failovers, 2);
  assert.equal(hb.totals.failoversWithoutReset, 1);
  assert.equal(runCli(['analyze', demo, '--hb-threshold', '4', '--fail-on', 'missing-reset']).status, 1);
});

test('a config file sets the model; flags override it; grace follows the interval', () => {
  const c = config('four.json', { heartbeat: { threshold: 4, resetWindowMs: 500 } });
  const fromFile = heartbeats(['--config', c]).hb;
  assert.equal(fromFile.totals.failovers, 2);
  assert.equal(fromFile.params.resetWindowMs, 500);
  assert.equal(heartbeats(['--config', c, '--hb-threshold', '5']).hb.totals.failovers, 1);
  const slow = heartbeats(['--hb-interval', '200']).hb.params;
  assert.deepEqual([slow.intervalMs, slow.timeoutMs, slow.graceMs], [200, 200, 100]);
  const ports = config('ports.json', { heartbeat: { ports: '40000-40010' } });
  // Off the configured range the demo's streams are still found by their shape.
  assert.equal(heartbeats(['--config', ports]).hb.totals.streams, 4);
});

test('bad settings are one line and exit 2', () => {
  const cases: Array<[string[], RegExp]> = [
    [['--config', config('typo.json', { heartbeat: { treshold: 4 } })], /^ucprobe: config .*typo\.json: heartbeat\.treshold: unknown key/],
    [['--config', config('top.json', { heartbeats: {} })], /^ucprobe: config .*top\.json: heartbeats: unknown key/],
    [['--config', config('text.json', 'threshold = 4')], /^ucprobe: config .*text\.json: not JSON/],
    [['--config', config('neg.json', { heartbeat: { graceMs: -1 } })], /heartbeat\.graceMs: expected a number ≥ 0, got -1/],
    [['--config', join(tmp, 'missing.json')], /^ucprobe: config .*missing\.json: no such file$/],
    [['--hb-interval', 'fast'], /^ucprobe: --hb-interval: expected a number ≥ 0, got "fast"$/],
    [['--hb-interval', '0'], /^ucprobe: --hb-interval: must be more than 0$/],
    [['--hb-threshold', '2.5'], /^ucprobe: --hb-threshold: expected a whole number ≥ 1/],
    [['--fail-on', 'failovers'], /^ucprobe: --fail-on: unknown condition 'failovers'/],
  ];
  for (const [args, pattern] of cases) {
    const r = runCli(['analyze', demo, ...args]);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    oneLine(r.stderr, pattern);
    assert.equal(r.stdout, '');
  }
});
