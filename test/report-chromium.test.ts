// The report as a browser shows it: Debian's headless Chromium (installed by
// .ci/run) loads the report of captures/demo.pcap and a corpus capture from
// its file, with no console error, page error or network request; every plot
// is there with a real size, one per heartbeat direction, per call and per
// RTP stream (jitter and loss over time, the worst 20); the
// page fits a laptop screen. A full-page screenshot is kept in
// test-artifacts/ for a person to look at. A hostile SIP capture must not get
// a script to run.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildReport } from '../src/cli/report.js';
import type { ReportFile } from '../src/report/collect.js';
import { MAX_MEDIA_PLOTS, MAX_PAIR_PLOTS } from '../src/report/html.js';
import { CORPUS, hasCorpus, REPO } from './helpers.js';
import { SipCapture } from './sip-patterns.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const ARTIFACTS = join(REPO, 'test-artifacts');
const DEMO = join(REPO, 'captures', 'demo.pcap');
/** A real two-call fax capture with DSCP violations (see ../shared/corpus/README.md). */
const CORPUS_CAPTURE = join(CORPUS, 'ndpi__FAX-Call-t38-CA-TDM-SIP-FB-1.pcap');
const FIXED_TIME = new Date(Date.UTC(2026, 2, 2, 12, 0, 0));

const ci = (process.env.CI ?? '') !== '' && process.env.CI !== 'false';
// On a developer machine without Chromium the test says so and steps aside; in CI it must run (and fail if Chromium is missing).
const skip = existsSync(CHROMIUM) || ci ? false : `${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium) to render the report; with CI set this test is required`;

const tmp = mkdtempSync(join(tmpdir(), 'ucprobe-chromium-'));
let browser: Browser | null = null;

before(async () => {
  if (skip) return;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
});
after(async () => {
  await browser?.close();
  rmSync(tmp, { recursive: true, force: true });
});

interface PageTrouble {
  console: string[];
  errors: string[];
  failed: string[];
  /** Every URL requested other than the report's own file. */
  requests: string[];
  dialogs: string[];
}

/** Open `file` at a viewport size, recording whatever goes wrong. */
async function open(file: string, width: number, height: number): Promise<{ page: Page; trouble: PageTrouble }> {
  const page = await browser!.newPage({ viewport: { width, height } });
  const url = pathToFileURL(file).href;
  const trouble: PageTrouble = { console: [], errors: [], failed: [], requests: [], dialogs: [] };
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') trouble.console.push(`${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => trouble.errors.push(String(e)));
  page.on('requestfailed', (r) => trouble.failed.push(`${r.url()} ${r.failure()?.errorText ?? ''}`));
  page.on('request', (r) => { if (r.url() !== url) trouble.requests.push(r.url()); });
  page.on('dialog', (d) => {
    trouble.dialogs.push(d.message());
    void d.dismiss();
  });
  await page.goto(url, { waitUntil: 'load' });
  return { page, trouble };
}

function assertQuiet(t: PageTrouble): void {
  assert.deepEqual(t.console, [], 'console errors/warnings');
  assert.deepEqual(t.errors, [], 'page errors');
  assert.deepEqual(t.failed, [], 'failed requests');
  assert.deepEqual(t.requests, [], 'requests beyond the file itself');
  assert.deepEqual(t.dialogs, [], 'dialogs (a script ran)');
}

interface Box {
  w: number;
  h: number;
}

interface SectionShape {
  file: string;
  pairs: number;
  intervalPlots: Box[];
  ladders: Box[];
  timelines: Box[];
  dscpCharts: Box[];
  mediaPlots: Box[];
  /** Points of each media plot's jitter-max lines, in page order. */
  mediaPoints: number[];
}

/**
 * What the browser laid out, per file section. The page function is a string:
 * tsx compiles functions with name helpers (__name) that do not exist in the page.
 */
const SHAPES_SCRIPT = `(() => {
  const boxes = (root, sel) => [...root.querySelectorAll(sel)].map((e) => { const r = e.getBoundingClientRect(); return { w: r.width, h: r.height }; });
  return [...document.querySelectorAll('section.capture-file')].map((s) => ({
    file: s.getAttribute('data-file') ?? '',
    pairs: s.querySelectorAll('figure.pair').length,
    intervalPlots: boxes(s, 'figure.pair svg.interval-plot'),
    ladders: boxes(s, 'figure.ladder-figure svg.ladder'),
    timelines: boxes(s, 'svg.timeline'),
    dscpCharts: boxes(s, 'svg.dscp-bars'),
    mediaPlots: boxes(s, 'figure.media-stream svg.media-plot'),
    mediaPoints: [...s.querySelectorAll('figure.media-stream svg.media-plot')].map((svg) => [...svg.querySelectorAll('polyline.jitter-max')].reduce((n, l) => n + l.points.numberOfItems, 0)),
  }));
})()`;

async function shapes(page: Page): Promise<SectionShape[]> {
  return page.evaluate<SectionShape[]>(SHAPES_SCRIPT);
}

/** What each section must hold, from the same analysis the report was drawn from. */
function expected(rf: ReportFile): { pairs: number; directions: number; ladders: number; timeline: number; dscp: number; media: number } {
  const r = rf.report;
  const pairs = r.heartbeats.pairs.slice(0, MAX_PAIR_PLOTS);
  const callIds = new Set(r.sipAnalysis.calls.calls.map((c) => c.callId).filter((id) => rf.ladders.flow(id) !== null));
  return {
    pairs: pairs.length,
    directions: pairs.reduce((n, p) => n + (p.aToB ? 1 : 0) + (p.bToA ? 1 : 0), 0),
    ladders: callIds.size,
    timeline: r.heartbeats.streams.length + r.sipAnalysis.calls.calls.length > 0 ? 1 : 0,
    dscp: r.dscpAudit.flows.length > 0 ? 1 : 0,
    media: Math.min(r.rtp.streams.length, MAX_MEDIA_PLOTS),
  };
}

const nonZero = (b: Box): boolean => b.w > 0 && b.h > 0;

test('chromium renders the report of the demo and a corpus capture cleanly', { skip, timeout: 120_000 }, async () => {
  const files = [DEMO, ...(hasCorpus ? [CORPUS_CAPTURE] : [])];
  const { html, files: collected } = await buildReport(files, {}, FIXED_TIME);
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = join(ARTIFACTS, 'report.html');
  writeFileSync(file, html);

  // The demo must show its story: two pairs with a failover, six calls; the corpus capture two calls and DSCP violations.
  const demo = expected(collected[0]);
  assert.equal(demo.pairs, 2);
  assert.ok(demo.ladders >= 6);
  assert.equal(demo.media, 8, 'the demo\'s eight RTP streams each get a plot');
  if (hasCorpus) assert.ok(expected(collected[1]).ladders >= 1);

  for (const [width, height, shot] of [[1366, 768, 'report.png'], [1920, 1080, 'report-1920.png']] as const) {
    const { page, trouble } = await open(file, width, height);
    assertQuiet(trouble);
    assert.equal(await page.evaluate(() => document.scripts.length), 0, 'no script in the page');
    const got = await shapes(page);
    assert.equal(got.length, files.length, 'one section per capture');
    got.forEach((s, i) => {
      const want = expected(collected[i]);
      assert.equal(s.file, files[i]);
      assert.equal(s.pairs, want.pairs, `${s.file}: pairs`);
      assert.equal(s.intervalPlots.length, want.directions, `${s.file}: interval plots`);
      assert.equal(s.ladders.length, want.ladders, `${s.file}: ladders`);
      assert.equal(s.timelines.length, want.timeline, `${s.file}: timeline`);
      assert.equal(s.dscpCharts.length, want.dscp, `${s.file}: DSCP chart`);
      assert.equal(s.mediaPlots.length, want.media, `${s.file}: media plots`);
      // The browser parsed a jitter point per bucket that had jitter, in the worst-first order the page draws.
      assert.ok(s.mediaPoints.every((n) => n > 0), `${s.file}: jitter points ${s.mediaPoints.join(',')}`);
      for (const b of [...s.intervalPlots, ...s.ladders, ...s.timelines, ...s.dscpCharts, ...s.mediaPlots]) assert.ok(nonZero(b), `${s.file}: a plot of size ${b.w}x${b.h}`);
      // Readable: the plots are drawn 1200 wide; shrunk much below that their 11 px labels get too small.
      for (const b of [...s.intervalPlots, ...s.timelines, ...s.dscpCharts, ...s.mediaPlots]) assert.ok(b.w >= 1100, `${s.file}: plot only ${b.w} px wide at ${width}`);
    });
    // Nothing wider than the screen: no sideways scrolling on a laptop.
    const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(scrollWidth <= width, `page is ${scrollWidth} px wide at a ${width} px viewport`);
    await page.screenshot({ path: join(ARTIFACTS, shot), fullPage: true });
    await page.close();
  }
});

test('chromium: a hostile SIP capture runs no script and shows the markup as text', { skip, timeout: 60_000 }, async () => {
  const cap = new SipCapture();
  const a = { ip: '10.66.0.1', port: 5060 };
  const b = { ip: '10.66.0.2', port: 5060 };
  const callId = '<script>alert(1)</script>@evil';
  const head = (cseq: string, to: string): string =>
    `Via: SIP/2.0/UDP 10.66.0.1:5060;branch=z9hG4bK${cseq.replace(/\W/g, '')}\r\nFrom: "<img src=x onerror=alert(2)>" <sip:a@evil>;tag=1\r\nTo: ${to}\r\n` +
    `Call-ID: ${callId}\r\nCSeq: ${cseq}\r\nUser-Agent: </svg></figure><script>alert(4)</script>\u001b[2J\r\nContent-Length: 0\r\n\r\n`;
  cap.send(0, a, b, `INVITE sip:b@10.66.0.2 SIP/2.0\r\n${head('1 INVITE', '<sip:b@10.66.0.2>')}`);
  cap.send(500_000, b, a, `SIP/2.0 200 <script>alert(3)</script>\r\n${head('1 INVITE', '<sip:b@10.66.0.2>;tag=2')}`);
  const pcap = join(tmp, 'hostile.pcap');
  cap.write(pcap);
  const { html } = await buildReport([pcap], {}, FIXED_TIME);
  const file = join(tmp, 'hostile.html');
  writeFileSync(file, html);
  const { page, trouble } = await open(file, 1366, 768);
  assertQuiet(trouble);
  assert.equal(await page.evaluate(() => document.scripts.length), 0);
  assert.equal(await page.evaluate(() => document.querySelectorAll('img').length), 0);
  const shown = await page.evaluate(() => document.body.innerText);
  assert.ok(shown.includes(callId), 'the Call-ID reads as the packet had it');
  assert.equal(await page.evaluate(() => document.querySelectorAll('figure.ladder-figure svg.ladder').length), 1);
  await page.close();
});
