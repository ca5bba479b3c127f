// The terminal UI of the live monitor: the pure pieces (sparkline, cell
// cutting, column widths, layout, filter, key handling, the flashing
// failover) and the App rendered with ink-testing-library from a fixed
// snapshot (test/tui-fixtures.ts), driven by keys.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import React from 'react';
import { render } from 'ink-testing-library';
import chalk from 'chalk';
import type { LiveSnapshot } from '../src/live/view-model.js';
import { App } from '../src/tui/app.js';
import { eventsPane } from '../src/tui/events-pane.js';
import { filterLines } from '../src/tui/filter.js';
import { frameLayout } from '../src/tui/layout.js';
import { columnWidths, fitColumns, heading, row, type PaneId } from '../src/tui/pane.js';
import { fixedSource, type SnapshotSource } from '../src/tui/snapshot-source.js';
import { sparkline } from '../src/tui/sparkline.js';
import { cut, cutMiddle, fit, fitSegs, textWidth } from '../src/tui/text.js';
import { EVIL, EVIL_CALL_ID, NOW, fixtureLadders, fixtureSnapshot } from './tui-fixtures.js';

const KEY = {
  tab: '\t', shiftTab: '\u001b[Z', down: '\u001b[B', up: '\u001b[A', right: '\u001b[C', pageDown: '\u001b[6~', end: '\u001b[F',
  enter: '\r', esc: '\u001b', ctrlC: '\u0003', backspace: '\u007f',
} as const;

const SGR = /\u001b\[[0-9;]*m/g;
// As wide as ink-testing-library's stdout (ink lays the root out at that width), and tall enough for every row.
// Every pane open with all its rows (six panes).
const BIG = { columns: 100, rows: 76 };

type Rendered = ReturnType<typeof render>;

function wait(ms = 20): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function press(r: Rendered, ...keys: string[]): Promise<void> {
  for (const k of keys) {
    r.stdin.write(k);
    await wait();
  }
}

/** The last frame without ink's colour codes. */
function frame(r: Rendered): string {
  return (r.lastFrame() ?? '').replace(SGR, '');
}

/** The lines of the pane whose title line holds `title`, down to its bottom border. */
function pane(text: string, title: string): string[] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.includes(title));
  assert.ok(start >= 0, `no pane titled ${title} in\n${text}`);
  const end = lines.findIndex((l, i) => i > start && l.startsWith('└'));
  return lines.slice(start, end);
}

/** The selected row of a pane ('' for none). */
function selectedRow(text: string, title: string): string {
  return pane(text, title).find((l) => l.startsWith('│> ')) ?? '';
}

function footer(text: string): string {
  return text.split('\n').at(-1) ?? '';
}

/** The frame once `ok` holds of it; fails with `what` and the frame after 3 s. */
async function until(r: Rendered, ok: (frame: string) => boolean, what: string): Promise<string> {
  const deadline = Date.now() + 3000;
  for (;;) {
    const f = frame(r);
    if (ok(f)) return f;
    if (Date.now() > deadline) assert.fail(`${what}: not in\n${f}`);
    await wait(10);
  }
}

function lineWith(lines: string[], text: string): string {
  const l = lines.find((x) => x.includes(text));
  assert.ok(l !== undefined, `no line with ${text} in\n${lines.join('\n')}`);
  return l;
}

/** The App rendered, once it listens for keys (useInput subscribes in an effect, after the first render). */
async function show(source: SnapshotSource = fixedSource(fixtureSnapshot(), fixtureLadders()), size: { columns: number; rows: number } | null = BIG,
  onQuit = (): void => {}): Promise<Rendered> {
  // null: no size prop, the App reads stdout's.
  const r = render(<App source={source} onQuit={onQuit} size={size ?? undefined} />);
  const deadline = Date.now() + 3000;
  while (r.stdin.listenerCount('readable') === 0) {
    if (Date.now() > deadline) assert.fail('the App never listened to stdin');
    await wait(5);
  }
  return r;
}

/** A source the test publishes to, as the live session would. */
function mutableSource(first: LiveSnapshot): SnapshotSource & { publish(s: LiveSnapshot): void; listeners(): number } {
  let snap = first;
  const listeners = new Set<() => void>();
  return {
    current: () => snap,
    subscribe(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    ladder: () => null,
    publish(s) {
      snap = s;
      for (const l of listeners) l();
    },
    listeners: () => listeners.size,
  };
}

function assertFits(text: string, size: { columns: number; rows: number }): void {
  const lines = text.split('\n');
  assert.ok(lines.length <= size.rows, `${lines.length} lines for ${size.rows} rows`);
  for (const l of lines) assert.ok(textWidth(l) <= size.columns, `line wider than ${size.columns}: ${l}`);
}

// ------------------------------------------------------------- pure pieces

test('sparkline: one level per nominal interval, newest values, empty input', () => {
  assert.equal(sparkline([], 10, 100), '');
  assert.equal(sparkline([100, 200], 0, 100), '');
  assert.equal(sparkline([100, 103, 200, 300, 500, 800, 1600], 10, 100), '▁▁▂▃▅██');
  // Only the newest `width` values.
  assert.equal(sparkline([800, 100, 100, 500], 3, 100), '▁▁▅');
  // Without a nominal: the values' own range; a flat series stays low.
  assert.equal(sparkline([1, 2, 3], 3), '▁▅█');
  assert.equal(sparkline([5, 5, 5], 3), '▁▁▁');
  assert.equal(sparkline([Number.NaN, 100], 2, 100), '▁▁');
});

test('cells are cut with ~ and padded by terminal width', () => {
  assert.equal(cut('abcdef', 4), 'abc~');
  assert.equal(cut('abcd', 4), 'abcd');
  assert.equal(cut('abc', 0), '');
  assert.equal(fit('ab', 4), 'ab  ');
  assert.equal(fit('ab', 4, 'right'), '  ab');
  // Wide characters take two cells.
  assert.equal(textWidth('日本語'), 6);
  assert.equal(cut('日本語', 4), '日~');
  const segs = fitSegs([{ text: 'abc', bold: true }, { text: 'defgh' }], 6);
  assert.deepEqual(segs.map((s) => s.text), ['abc', 'de~']);
  assert.equal(segs[0].bold, true);
  assert.deepEqual(fitSegs([{ text: 'ab' }], 4).map((s) => s.text).join(''), 'ab  ');
});

test('column widths: minimums, then what the values want in turn, then growth', () => {
  const cols = [{ title: 'a', min: 4, want: 20 }, { title: 'b', min: 4, want: 20 }, { title: 'c', min: 3, max: 10 }];
  assert.deepEqual(columnWidths(cols, 100), [20, 20, 10]);
  // Short of room, the wanting columns share it instead of the first taking all.
  assert.deepEqual(columnWidths(cols, 30), [13, 12, 3]);
  assert.deepEqual(columnWidths(cols, 5), [4, 4, 3]);
});

test('layout fits the rows, favours the focused pane and shows fewer panes when short', () => {
  const need: Record<PaneId, number> = { heartbeats: 30, sip: 30, media: 30, dscp: 30, events: 30, cluster: 30 };
  const l = frameLayout({ columns: 100, rows: 40 }, 'sip', need);
  const sum = Object.values(l.panes).reduce((a, b) => a + b, 0);
  assert.equal(l.header + sum + l.footer, 39);
  assert.ok(l.panes.sip > l.panes.heartbeats && l.panes.heartbeats > 0 && l.panes.events > 0);
  const small = frameLayout({ columns: 40, rows: 10 }, 'dscp', need);
  assert.ok(small.panes.dscp >= 5);
  assert.equal(small.header + Object.values(small.panes).reduce((a, b) => a + b, 0) + small.footer, 9);
  // A pane gets no more than it needs; what is left goes to the focused one.
  const few = frameLayout({ columns: 100, rows: 60 }, 'events', { heartbeats: 6, sip: 6, media: 6, dscp: 6, events: 6, cluster: 6 });
  assert.deepEqual([few.panes.heartbeats, few.panes.sip, few.panes.dscp], [6, 6, 6]);
  for (const rows of [1, 2, 3, 5]) {
    const t = frameLayout({ columns: 20, rows }, 'heartbeats', need);
    assert.ok(t.header + t.footer + Object.values(t.panes).reduce((a, b) => a + b, 0) <= Math.max(1, rows - 1));
  }
});

test('filter keeps matching rows (case-insensitive) and the headings above them', () => {
  const lines = [
    heading('h1', [{ text: 'pair one' }]), row('a', [], 'Alpha FAILED', 'h1'), row('b', [], 'beta OK', 'h1'),
    heading('h2', [{ text: 'pair two' }]), row('c', [], 'gamma OK', 'h2'),
  ];
  assert.deepEqual(filterLines(lines, 'failed').map((l) => l.key), ['h1', 'a']);
  assert.deepEqual(filterLines(lines, 'ok').map((l) => l.key), ['h1', 'b', 'h2', 'c']);
  assert.deepEqual(filterLines(lines, '').length, 5);
  assert.deepEqual(filterLines(lines, 'nothing'), []);
});

test('the newest failover flashes for 5 s of snapshot time, older ones never', () => {
  const snap = fixtureSnapshot();
  const inverse = (s: LiveSnapshot): boolean[] => eventsPane(s, 120).lines.map((l) => l.segs.some((x) => x.inverse === true));
  const flashing = inverse(snap);
  const kinds = snap.events.map((e) => e.kind);
  assert.equal(flashing[kinds.indexOf('failover')], true);
  assert.equal(flashing[kinds.lastIndexOf('failover')], false);
  assert.equal(flashing.filter(Boolean).length, 1);
  assert.equal(inverse({ ...snap, now: NOW + 10 }).some(Boolean), false);
});

// ------------------------------------------------------------- the App
// React renders after a key on a later turn of the event loop, so the
// assertions on frames wait (briefly) for the frame they expect.

test('header: source, filter, counters, elapsed; ENDED and replay', async () => {
  const r = await show();
  const head = (await until(r, (f) => f.includes('elapsed'), 'first frame')).split('\n').slice(0, 2).join('\n');
  for (const s of ['interface eth1', 'filter udp or tcp port 5060', 'packets 123456', 'pkt/s 413', 'drops kernel 17', 'interface n/a',
    'errors 3', 'elapsed 1:02:05']) assert.ok(head.includes(s), `${s} in\n${head}`);
  assert.ok(!head.includes('ENDED') && !head.includes('PAUSED'));
  r.unmount();

  const ended: LiveSnapshot = { ...fixtureSnapshot(), source: { kind: 'replay', name: 'captures/demo.pcap', filter: null }, ended: true,
    drops: { kernelDrops: null, interfaceDrops: null }, pps: 3.25 };
  const e = await show(fixedSource(ended));
  const h2 = (await until(e, (f) => f.includes('elapsed'), 'first frame')).split('\n').slice(0, 2).join('\n');
  for (const s of ['ENDED', 'replay captures/demo.pcap', 'drops kernel n/a', 'pkt/s 3.3']) assert.ok(h2.includes(s), `${s} in\n${h2}`);
  assert.ok(!h2.includes('filter'));
  e.unmount();
});

test('heartbeat pane: pairs with their directions, state words, counters and sparklines', async () => {
  const r = await show();
  const hb = pane(await until(r, (f) => f.includes('Heartbeats'), 'first frame'), 'Heartbeats');
  assert.ok(hb[0].includes('2 pairs, 4 streams, 1 FAILED, 1 MISSING, 1 RESTARTED'));
  const at = (s: string): number => hb.findIndex((l) => l.includes(s));
  assert.ok(at('10.10.1.11 <> 10.10.2.11') < at('10.10.1.11:39600>10.10.2.11:39601'));
  assert.ok(at('10.10.2.11:39601>10.10.1.11:39600') < at('10.10.1.21 <> 10.10.2.21'));
  assert.match(lineWith(hb, '10.10.1.11:39600>10.10.2.11:39601'), /OK .* 120599 +100\.2 [▁-█]+ +0 +600\/0/);
  assert.match(lineWith(hb, '10.10.2.11:39601>10.10.1.11:39600'), /FAILED .* 120292 .* 7 +593\/7/);
  assert.match(lineWith(hb, '10.10.1.21:39700>10.10.2.21:39701'), /MISSING 2 .* 500\.3 .*▅.* 2 +596\/4/);
  assert.match(lineWith(hb, '10.10.2.21:39701>10.10.1.21:39700'), /RESTARTED .* 149 /);
  assert.ok(lineWith(hb, '10.10.1.11 <> 10.10.2.11').includes('failovers 1'));
  assert.match(hb.join('\n'), /[▁▂▃▄▅▆▇█]{12,}/);
  r.unmount();
});

test('SIP pane: calls most recent first with state, code and media, keepalive FAILING', async () => {
  const r = await show();
  const sip = pane(await until(r, (f) => f.includes('SIP'), 'first frame'), 'SIP');
  assert.ok(sip[0].includes('3 calls, 2 keepalive pairs, 1 FAILING'));
  assert.match(sip[1], /start +from +to +state +code setup ms msgs +MOS loss % jit ms│$/);
  const calls = sip.filter((l) => /\d\d:\d\d:\d\d\.\d{3}/.test(l));
  assert.equal(calls.length, 3);
  // 100 columns leave From and To 17 cells: their middle goes, the host's end stays. Calls with no media: dashes.
  assert.match(calls[0], /09:00:55\.250 sip:1003~30\.0\.103 .* ringing +- +- +3 +- +- +-│$/);
  assert.match(calls[1], /09:00:40\.125 .*EVIL.* failed +486 +- +5 +- +- +-│$/);
  // The worse direction's MOS, the worst loss and jitter of the call's two streams.
  assert.match(calls[2], /09:00:10\.500 sip:1001~30\.0\.101 .* completed +200 +152\.4 +7 3\.80 +5\.2 +12\.5│$/);
  assert.match(lineWith(sip, '10.20.0.10:5060 > 10.20.0.12:5060'), /12 +58% +5000\.0 +25\.0 FAILING/);
  assert.match(lineWith(sip, '10.20.0.10:5060 > 10.20.0.11:5060'), /100% .* ok/);
  r.unmount();
});

test('DSCP pane: the violation first with expected and observed markings', async () => {
  const r = await show();
  const d = pane(await until(r, (f) => f.includes('DSCP'), 'first frame'), 'DSCP');
  assert.ok(d[0].includes('5 flows, 1 violations, 1 mixed, 1 asymmetric'));
  assert.match(d[2], /10\.30\.0\.102:16384>10\.30\.0\.101:16386 +voice +EF +CS0 100% +199 violation asym/);
  assert.match(lineWith(d, '10.10.1.11:50732>10.10.2.11:39610'), /mds +AF31 +AF31 83% mixed +59 accepted/);
  assert.match(lineWith(d, '10.30.0.101:5060>10.20.0.10:5060'), /signalling +CS3 +CS3 100% +62 ok/);
  r.unmount();
});

test('events pane: newest first with UTC milliseconds', async () => {
  const r = await show();
  const ev = pane(await until(r, (f) => f.includes('Events'), 'first frame'), 'Events').slice(2);
  const kinds = ev.map((l) => /\d\d:\d\d:\d\d\.\d{3} (\S+)/.exec(l)?.[1]);
  assert.deepEqual(kinds, ['keepalive-failing', 'reset', 'failover', 'restart', 'sip-timeout', 'dscp-violation', 'loss', 'failover']);
  assert.ok(ev[0].includes('09:00:58.200') && ev[2].includes('09:00:57.000'));
  r.unmount();
});

test('escape sequences from packets are drawn as text, never sent to the terminal', async () => {
  const r = await show();
  const check = (): void => {
    const raw = r.lastFrame() ?? '';
    assert.ok(!raw.includes('\u001b]0;') && !raw.includes('\u0007'), 'OSC title sequence reached the terminal');
    assert.ok(!raw.replace(SGR, '').includes('\u001b'), 'raw ESC beyond ink colour codes');
  };
  const text = await until(r, (f) => f.includes('Events'), 'first frame');
  check();
  // 100 columns leave the From 17 cells, cut at its end; the whole sequence, escaped, is in the ladder's title below (the Call-ID).
  assert.ok(text.includes('"\\x1b[31mEVIL\\x1~'), 'From header shown escaped');
  assert.ok(pane(text, 'Events').some((l) => l.includes('Call-ID evil-\\x1b[31mEVIL')), 'event text shown escaped');
  // The ladder of that call (its title and the ladderText lines).
  await press(r, KEY.tab, KEY.down, KEY.enter);
  await until(r, (f) => f.includes('Ladder  Call-ID evil-\\x1b[31mEVIL\\x1b]0;title\\x07@10.30.0.166'), 'ladder title escaped');
  check();
  r.unmount();
});

test('Tab and Shift-Tab cycle the focus; Up/Down move the selection', async () => {
  const r = await show();
  const focusIs = (name: string): Promise<string> => until(r, (f) => /▶ (\w+)/.exec(f)?.[1] === name, `focus on ${name}`);
  const selectedIs = (re: RegExp): Promise<string> => until(r, (f) => re.test(selectedRow(f, 'Heartbeats')), `selected ${re}`);
  await focusIs('Heartbeats');
  await selectedIs(/> OK +10\.10\.1\.11:39600/);
  await press(r, KEY.down);
  await selectedIs(/> FAILED/);
  // Headings are skipped: the next row is the other pair's first direction.
  await press(r, KEY.down);
  await selectedIs(/> MISSING 2/);
  await press(r, KEY.up);
  await selectedIs(/> FAILED/);
  await press(r, KEY.tab);
  const f = await focusIs('SIP');
  assert.equal(selectedRow(f, 'Heartbeats'), '', 'selection shown only in the focused pane');
  assert.match(selectedRow(f, 'SIP'), /> 09:00:55\.250 .* ringing/);
  await press(r, KEY.tab);
  await focusIs('Media');
  await press(r, KEY.tab, KEY.tab);
  await focusIs('Events');
  await press(r, KEY.tab);
  await focusIs('Cluster');
  await press(r, KEY.tab);
  await focusIs('Heartbeats');
  await press(r, KEY.shiftTab);
  await focusIs('Cluster');
  r.unmount();
});

test('Enter on a SIP call opens its ladder, which scrolls; Esc closes it', async () => {
  const r = await show(undefined, { columns: 100, rows: 24 });
  await press(r, KEY.tab, KEY.down, KEY.enter);
  const f = await until(r, (x) => x.includes('Ladder  Call-ID evil-') && x.includes('lines 1-17 of 38'), 'ladder open');
  assert.match(f, /\|----- INVITE ----->\|/);
  assert.ok(!f.includes('▶ SIP'), 'the ladder replaces the panes');
  await press(r, KEY.down);
  await until(r, (x) => x.includes('lines 2-18 of 38'), 'one line down');
  await press(r, KEY.pageDown);
  await until(r, (x) => x.includes('lines 19-35 of 38'), 'a page down');
  await press(r, KEY.end);
  assertFits(await until(r, (x) => x.includes('486 Busy Here') && x.includes('lines 22-38 of 38'), 'the end'), { columns: 100, rows: 24 });
  await press(r, KEY.esc);
  await until(r, (x) => !x.includes('Ladder') && x.includes('▶ SIP'), 'ladder closed');
  r.unmount();
});

test('a call whose messages were not kept gets a one-line note instead of a ladder', async () => {
  const r = await show();
  await press(r, KEY.tab, KEY.enter);
  await until(r, (f) => f.includes('Ladder  Call-ID ring-3@10.30.0.103') && f.includes('were not kept'), 'note');
  await press(r, KEY.esc);
  await until(r, (f) => f.includes('▶ SIP'), 'ladder closed');
  // Enter elsewhere than on a call (or a stream of one) does nothing.
  await press(r, KEY.tab, KEY.tab, KEY.enter);
  assert.ok(!(await until(r, (f) => f.includes('▶ DSCP'), 'focus on DSCP')).includes('Ladder'));
  r.unmount();
});

test('/ filters the focused pane; Enter keeps the filter, Esc clears it', async () => {
  const r = await show();
  await press(r, '/', '10.10.1.2', '1');
  let f = await until(r, (x) => footer(x).includes('filter Heartbeats: /10.10.1.21'), 'filter typed');
  let hb = pane(f, 'Heartbeats');
  assert.ok(hb.some((l) => l.includes('MISSING 2')) && hb.some((l) => l.includes('RESTARTED')));
  assert.ok(!hb.some((l) => l.includes('FAILED ') || l.includes('10.10.1.11 <> 10.10.2.11')), hb.join('\n'));
  assert.ok(hb[0].includes('filter "10.10.1.21": 2 rows'));
  // Other panes are not filtered.
  assert.ok(pane(f, 'DSCP').some((l) => l.includes('10.10.1.11:39600>10.10.2.11:39601')));
  await press(r, KEY.enter);
  f = await until(r, (x) => footer(x).includes('filter Heartbeats: "10.10.1.21"'), 'filter kept');
  assert.ok(!pane(f, 'Heartbeats').some((l) => l.includes('FAILED ')));
  await press(r, KEY.esc);
  await until(r, (x) => pane(x, 'Heartbeats').some((l) => l.includes('FAILED ')), 'filter cleared');
  r.unmount();

  // Case-insensitive; while typing, letters are text, not commands; Backspace deletes.
  let quit = 0;
  const s = await show(undefined, BIG, () => quit++);
  await press(s, KEY.tab, '/', 'failing p q', KEY.backspace, KEY.backspace, KEY.backspace, KEY.backspace);
  hb = pane(await until(s, (x) => footer(x).includes('/failing    Enter keeps'), 'filter typed'), 'SIP');
  assert.equal(quit, 0);
  assert.ok(!frame(s).includes('PAUSED'));
  assert.ok(hb.some((l) => l.includes('10.20.0.12:5060') && l.includes('FAILING')));
  assert.ok(!hb.some((l) => l.includes('10.20.0.11:5060') || l.includes('ringing')), hb.join('\n'));
  await press(s, KEY.esc);
  await until(s, (x) => pane(x, 'SIP').some((l) => l.includes('ringing')), 'filter cleared');
  s.unmount();
});

test('the App re-renders when the source publishes, and p freezes the display', async () => {
  const src = mutableSource(fixtureSnapshot());
  const r = await show(src);
  await until(r, (f) => f.includes('packets 123456'), 'first frame');
  assert.equal(src.listeners(), 1);
  src.publish({ ...fixtureSnapshot(), packets: 200000 });
  await until(r, (f) => f.includes('packets 200000'), 'new snapshot drawn');
  await press(r, 'p');
  await until(r, (f) => f.includes('PAUSED'), 'paused');
  src.publish({ ...fixtureSnapshot(), packets: 999999, calls: [] });
  await wait(60);
  const f = frame(r);
  assert.ok(f.includes('packets 200000') && !f.includes('packets 999999'), 'paused display stays on the snapshot taken at pause');
  assert.ok(f.includes('ringing'));
  await press(r, 'p');
  await until(r, (x) => !x.includes('PAUSED') && x.includes('packets 999999') && !x.includes('ringing'), 'resumed on the newest snapshot');
  r.unmount();
  assert.equal(src.listeners(), 0, 'unsubscribed on unmount');
});

test('? toggles the help; Esc closes it', async () => {
  const r = await show();
  await press(r, '?');
  await until(r, (f) => f.includes('Keys  (? or Esc closes)') && f.includes('Tab / Shift-Tab') && f.includes('pause the display'), 'help');
  await press(r, '?');
  await until(r, (f) => !f.includes('Keys  (') && f.includes('▶ Heartbeats'), 'help hidden');
  await press(r, '?');
  await until(r, (f) => f.includes('Keys  ('), 'help again');
  await press(r, KEY.esc);
  await until(r, (f) => !f.includes('Keys  (') && f.includes('▶ Heartbeats'), 'help closed by Esc');
  r.unmount();
});

test('q and Ctrl-C call onQuit', async () => {
  let quit = 0;
  const r = await show(undefined, BIG, () => quit++);
  await until(r, (f) => f.includes('Heartbeats'), 'first frame');
  await press(r, 'q');
  assert.equal(quit, 1);
  await press(r, KEY.ctrlC);
  assert.equal(quit, 2);
  r.unmount();
});

test('the frame fits the terminal at the default size, at 40x10 and smaller, and follows a resize', async () => {
  // No size given: stdout's columns (100 in ink-testing-library) and the default 24 rows.
  const r = await show(undefined, null);
  assertFits(await until(r, (f) => f.includes('Events'), 'first frame'), { columns: 100, rows: 23 });
  Object.defineProperty(r.stdout, 'rows', { value: 12, configurable: true });
  r.stdout.emit('resize');
  assertFits(await until(r, (f) => f.split('\n').length <= 11, 'resized'), { columns: 100, rows: 11 });
  r.unmount();

  for (const size of [{ columns: 40, rows: 10 }, { columns: 20, rows: 5 }, { columns: 8, rows: 2 }]) {
    const t = await show(undefined, size);
    const f = await until(t, (x) => x.includes('ucp'), `first frame at ${size.columns}x${size.rows}`);
    if (size.columns >= 12) assertFits(f, size);
    if (size.columns === 40) assert.ok(f.includes('▶ Heartbeats') && f.includes('> OK'), f);
    // Every view at that size, without throwing.
    await press(t, KEY.tab, KEY.down, KEY.enter, KEY.pageDown, KEY.esc, '?', KEY.esc, '/', 'x', KEY.enter, KEY.tab, KEY.tab);
    await wait(30);
    if (size.columns >= 12) assertFits(frame(t), size);
    t.unmount();
  }
});

test('an empty snapshot (a session just started) draws every pane', async () => {
  const empty: LiveSnapshot = {
    ...fixtureSnapshot(), packets: 0, pps: 0, elapsedSec: 0, heartbeats: [], calls: [], keepalives: [], dscp: [], events: [],
    dscpTotals: { ...fixtureSnapshot().dscpTotals, flows: 0, packets: 0, violation: 0, accepted: 0, ok: 0, mixed: 0, asymmetricConversations: 0 },
  };
  const r = await show(fixedSource(empty));
  const f = await until(r, (x) => x.includes('Events  0'), 'first frame');
  for (const t of ['Heartbeats  0 pairs, 0 streams', 'SIP  0 calls, 0 keepalive pairs', 'DSCP  0 flows', 'elapsed 0:00:00']) assert.ok(f.includes(t), t);
  assert.equal(f.split('\n').filter((l) => l.includes('(none yet)')).length, 4);
  await press(r, KEY.tab, KEY.down, KEY.enter, '/', 'x');
  await until(r, (x) => x.includes('(no rows match the filter)'), 'filter on nothing');
  r.unmount();
});

test('fixedSource gives the ladders it was given, and null for others', () => {
  const src = fixedSource(fixtureSnapshot(), fixtureLadders());
  assert.equal(src.ladder(EVIL_CALL_ID)?.messages.length, 34);
  assert.equal(src.ladder('constructor'), null);
  assert.equal(src.current(), src.current());
  src.subscribe(() => {})();
});

test('NO_COLOR: no color in the frame (states keep their words, bold and inverse); colors when it is unset or empty', async () => {
  // Colors are SGR 30-37, 90-97 (foreground), 40-47, 100-107 (background) and 38/48;... (256 and true color).
  const COLOR = /\u001b\[(?:[0-9;]*;)?(?:3[0-8]|4[0-8]|9[0-7]|10[0-7])(?:;[0-9;]*)?m/;
  const before = process.env.NO_COLOR;
  // The test's stdout is no terminal, so chalk (ink's colors) starts with none: as on a 16-color terminal here.
  const level = chalk.level;
  chalk.level = 1;
  try {
    const frames: Record<string, string> = {};
    for (const value of [undefined, '', '1']) {
      if (value === undefined) delete process.env.NO_COLOR;
      else process.env.NO_COLOR = value;
      const r = await show();
      await until(r, (f) => f.includes('FAILED'), 'the heartbeat pane');
      frames[String(value)] = r.lastFrame() ?? '';
      r.unmount();
    }
    assert.match(frames.undefined, COLOR, 'colored by default');
    assert.match(frames[''], COLOR, 'NO_COLOR= (empty) leaves colors on');
    assert.doesNotMatch(frames['1'], COLOR, 'NO_COLOR=1: no color');
    assert.match(frames['1'], /\u001b\[7m/, 'inverse still marks FAILED');
    assert.equal(frames['1'].replace(SGR, ''), frames.undefined.replace(SGR, ''), 'the same text');
  } finally {
    chalk.level = level;
    if (before === undefined) delete process.env.NO_COLOR;
    else process.env.NO_COLOR = before;
  }
});

// ------------------------------------------------------------- analyst workflows

/** The hostile call's messages as sent: its From and Call-ID carry the escape sequences, each message its own User-Agent. */
function hostileRaw(): Record<string, string[]> {
  return {
    [EVIL_CALL_ID]: Array.from({ length: 34 }, (_, i) => `INVITE sip:2002@10.20.0.10 SIP/2.0\r\nFrom: "${EVIL}" <sip:6666@10.30.0.166>;tag=x\r\n`
      + `To: <sip:2002@10.20.0.10>\r\nCall-ID: ${EVIL_CALL_ID}\r\nCSeq: 1 INVITE\r\nUser-Agent: Hostile/${i}\r\nContent-Length: 0\r\n\r\n`),
  };
}

test('cutMiddle keeps both ends; fitColumns leaves out columns in their drop order and keeps whole ones whole', () => {
  assert.equal(cutMiddle('10.10.1.11:39600>10.10.2.11:39601', 40), '10.10.1.11:39600>10.10.2.11:39601');
  const c = cutMiddle('10.10.1.11:39600>10.10.2.11:39601', 21);
  assert.equal(textWidth(c), 21);
  assert.ok(c.startsWith('10.10.1.11') && c.endsWith('2.11:39601') && c.includes('~'), c);
  const cols = [
    { title: 'a', min: 5 }, { title: 'flow', min: 10, want: 33, whole: true }, { title: 'b', min: 8, drop: 2 }, { title: 'c', min: 8, drop: 1 },
  ];
  assert.deepEqual(fitColumns(cols, 60).cols.map((x) => x.title), ['a', 'flow', 'b', 'c']);
  const mid = fitColumns(cols, 50);
  assert.deepEqual(mid.cols.map((x) => x.title), ['a', 'flow', 'b']);
  assert.equal(mid.widths[1], 33, 'the flow whole');
  assert.deepEqual(mid.pick(['1', '2', '3', '4']), ['1', '2', '3']);
  assert.deepEqual(fitColumns(cols, 40).cols.map((x) => x.title), ['a', 'flow']);
  // Too narrow even for that: the flow shares what there is.
  assert.deepEqual(fitColumns(cols, 30).widths, [5, 24]);
});

test('layout at 80x24: panes with no room shrink to their title line; z gives the focused pane every row', () => {
  const need: Record<PaneId, number> = { heartbeats: 10, sip: 12, media: 12, dscp: 35, events: 12, cluster: 12 };
  const l = frameLayout({ columns: 80, rows: 24 }, 'heartbeats', need);
  assert.equal(l.panes.heartbeats, 10, 'both pairs and their four streams');
  assert.ok(l.panes.sip >= 5);
  assert.deepEqual([l.panes.media, l.panes.dscp, l.panes.events, l.panes.cluster], [1, 1, 1, 1]);
  assert.equal(l.header + l.footer + Object.values(l.panes).reduce((a, b) => a + b, 0), 23);
  const z = frameLayout({ columns: 80, rows: 24 }, 'dscp', need, true);
  assert.deepEqual(z.panes, { heartbeats: 0, sip: 0, media: 0, dscp: 20, events: 0, cluster: 0 });
});

test('80x24: the heartbeat streams whole, every pane on screen (those without room as their title)', async () => {
  const size = { columns: 80, rows: 24 };
  const r = await show(undefined, size);
  const f = await until(r, (x) => x.includes('Heartbeats'), 'first frame');
  assertFits(f, size);
  for (const s of ['10.10.1.11:39600>10.10.2.11:39601', '10.10.2.11:39601>10.10.1.11:39600', '10.10.1.21:39700>10.10.2.21:39701', '10.10.2.21:39701>10.10.1.21:39700']) {
    assert.ok(f.includes(`${s} `), `${s} whole in\n${f}`);
  }
  for (const t of ['─ Media  3 RTP streams', '─ DSCP  5 flows', '─ Events  8', '─ Cluster  4 nodes']) assert.ok(f.includes(t), `${t} in\n${f}`);
  // 3 brings the media pane forward; z shows it alone.
  await press(r, '3');
  await until(r, (x) => x.includes('▶ Media') && x.includes('─ Heartbeats'), 'media focused');
  await press(r, 'z');
  const z = await until(r, (x) => !x.includes('Heartbeats') && x.includes('▶ Media'), 'zoomed');
  assert.match(z, /> +3\.80 +5\.2 +12\.5 CS0 +PCMU +10\.30\.0\.102:16384>10\.30\.0\.101:16386 /);
  assert.match(z, /4\.41 +0\.0 +0\.8 EF +PCMU .*10\.30\.0\.101:16386>10\.30\.0\.102:16384 /);
  assert.match(z, / +- +0\.0 +1\.1 AF41 +PCMU .*10\.40\.0\.5:5004>10\.40\.0\.6:5004 /);
  r.unmount();
});

test('a message as sent: Enter in the ladder, escaped, Left/Right for the others, Esc back', async () => {
  const r = await show(fixedSource(fixtureSnapshot(), fixtureLadders(), { raw: hostileRaw() }), { columns: 100, rows: 30 });
  await press(r, KEY.tab, KEY.down, KEY.enter, KEY.down, KEY.enter);
  const f = await until(r, (x) => x.includes('Message 2 of 34'), 'the second message as sent');
  assert.ok(f.includes('From: "\\x1b[31mEVIL\\x1b]0;title\\x07" <sip:6666@10.30.0.166>;tag=x'), f);
  assert.ok(f.includes('User-Agent: Hostile/1'), f);
  const raw = r.lastFrame() ?? '';
  assert.ok(!raw.replace(SGR, '').includes('\u001b') && !raw.includes('\u0007'), 'no escape from the packet reached the terminal');
  await press(r, KEY.right);
  await until(r, (x) => x.includes('Message 3 of 34') && x.includes('Hostile/2'), 'the next message');
  await press(r, KEY.esc);
  await until(r, (x) => x.includes('Ladder  Call-ID') && x.includes('message 3 of 34'), 'back to the ladder, on that message');
  await press(r, KEY.esc);
  await until(r, (x) => x.includes('▶ SIP'), 'back to the panes');
  r.unmount();
});

test('/ in the SIP pane searches the messages as sent; Enter opens the call on the message found', async () => {
  const r = await show(fixedSource(fixtureSnapshot(), fixtureLadders(), { raw: hostileRaw() }));
  await press(r, KEY.tab, '/', 'hostile/7', KEY.enter);
  const f = await until(r, (x) => footer(x).includes('1 calls by their messages'), 'search kept');
  const calls = pane(f, 'SIP').filter((l) => /\d\d:\d\d:\d\d\.\d{3}/.test(l));
  assert.equal(calls.length, 1);
  assert.match(calls[0], /EVIL.* failed +486/);
  await press(r, KEY.enter);
  await until(r, (x) => x.includes('message 8 of 34'), 'the ladder on the message found');
  r.unmount();
});

test('s saves the selected call through the source, and says what it wrote; a source that cannot save says why', async () => {
  const asked: string[] = [];
  const saveCall = (id: string): Promise<string> => {
    asked.push(id);
    return Promise.resolve(`saved call-x.pcapng: 9 packets, 7 SIP messages`);
  };
  const r = await show(fixedSource(fixtureSnapshot(), fixtureLadders(), { saveCall }));
  await press(r, KEY.tab, KEY.down, KEY.down, 's');
  await until(r, (x) => footer(x).includes('saved call-x.pcapng: 9 packets, 7 SIP messages'), 'saved');
  assert.deepEqual(asked, ['done-1@10.30.0.101']);
  // From the ladder too: its own call.
  await press(r, KEY.up, KEY.enter, 's');
  await until(r, (x) => x.includes('Ladder  Call-ID evil-'), 'ladder');
  assert.deepEqual(asked, ['done-1@10.30.0.101', EVIL_CALL_ID]);
  r.unmount();
  const live = await show(mutableSource(fixtureSnapshot()));
  await press(live, KEY.tab, 's');
  await until(live, (x) => footer(x).includes('saving a call needs a capture file'), 'cannot save live');
  live.unmount();
});

test('Cluster pane: mesh summary, links not up, failing health checks, multicast groups with flags; fits 80x24 and escapes', async () => {
  const size = { columns: 80, rows: 24 };
  const r = await show(undefined, size);
  await until(r, (x) => x.includes('─ Cluster'), 'first frame');
  await press(r, '6');
  const f = await until(r, (x) => x.includes('▶ Cluster'), 'cluster focused');
  assertFits(f, size);
  const c = pane(f, 'Cluster');
  assert.ok(c[0].includes('Cluster  4 nodes, 4/6 links up, 1 health check failing, 3 multicast groups'), c[0]);
  assert.match(lineWith(c, '10.1.0.2 - 10.1.0.5'), /10\.1\.0\.2 - 10\.1\.0\.5 +RESET +09:00:30\.000 +1/);
  // An address that carried escape sequences is drawn as text.
  assert.match(lineWith(c, '10.1.0.3 - '), /10\.1\.0\.3 - \\x1b\[31mEVIL.* MISSING +never up +0/);
  assert.ok(!f.includes('\u001b]0;'), 'OSC title sequence reached the terminal');
  await press(r, 'z');
  const z = pane(await until(r, (x) => !x.includes('Heartbeats') && x.includes('▶ Cluster'), 'zoomed'), 'Cluster');
  assert.match(lineWith(z, '10.2.0.100 > 10.2.0.12:5060'), /6\/12 +6 +0 +09:00:30\.000/);
  assert.match(lineWith(z, '239.1.1.1 '), /239\.1\.1\.1 +2 +1 ok/);
  assert.match(lineWith(z, '239.1.1.2 '), /239\.1\.1\.2 +1 +0 1 joined, sent nothing/);
  assert.match(lineWith(z, '239.1.1.9 '), /239\.1\.1\.9 +0 +1 1 nobody joined, 1 not EF/);
  r.unmount();
});

test('Cluster pane at 200x50: in the left column under SIP, every row shown', async () => {
  const size = { columns: 200, rows: 50 };
  const r = await show(undefined, size);
  const f = await until(r, (x) => x.includes('Cluster  4 nodes'), 'first frame');
  assertFits(f, size);
  const line = f.split('\n').find((l) => l.includes('Cluster  4 nodes'))!;
  assert.ok(line.indexOf('Cluster') < 100, 'left column');
  for (const t of ['10.1.0.2 - 10.1.0.5', '10.2.0.100 > 10.2.0.12:5060', '239.1.1.9']) assert.ok(f.includes(t), `${t} in\n${f}`);
  r.unmount();
});
