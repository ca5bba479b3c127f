// The E-model (ITU-T G.107) against its own reference points, and the
// scores of the scripted media capture: network loss and late packets apart,
// the burst ratio, the worse direction of a call.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { burstRatio, codecImpairment, delayImpairment, eModel, mosFromR } from '../src/media/e-model.js';
import { analyzeFile } from '../src/analysis/analyze.js';
import { writeScenarioCapture } from './media-scenarios.js';

test('G.107 reference points: R 93.2 is MOS 4.41, R 50 is 2.58, R 0 is 1; Idd is 0 to 100 ms and 14.76 at 300 ms (X = log2 3)', () => {
  assert.equal(Math.round(mosFromR(93.2) * 100) / 100, 4.41);
  assert.equal(Math.round(mosFromR(50) * 100) / 100, 2.58);
  assert.equal(mosFromR(-5), 1);
  assert.equal(mosFromR(120), 4.5);
  assert.equal(delayImpairment(100), 0);
  assert.equal(Math.round(delayImpairment(300) * 100) / 100, 14.76);
});

test('Ie,eff from G.113 Ie and Bpl: G.711 no loss 93.2, G.729A no loss 82.2, G.711 2 % random loss 86.4, bursts cost more', () => {
  const g711 = codecImpairment('PCMU');
  assert.deepEqual(eModel({ codec: g711, lossPercent: 0, burstR: 1, delayMs: 80 }), { rFactor: 93.2, mos: 4.41, id: 0, ieEff: 0 });
  assert.equal(eModel({ codec: codecImpairment('G729'), lossPercent: 0, burstR: 1, delayMs: 80 }).rFactor, 82.2);
  // 95 * 2 / (2 + 25.1) = 7.01
  assert.equal(eModel({ codec: g711, lossPercent: 2, burstR: 1, delayMs: 80 }).ieEff, 7.01);
  assert.ok(eModel({ codec: g711, lossPercent: 2, burstR: 4, delayMs: 80 }).mos < eModel({ codec: g711, lossPercent: 2, burstR: 1, delayMs: 80 }).mos);
  assert.equal(codecImpairment('opus').codec, 'Opus');
  assert.match(codecImpairment('AMR').source, /no G.113 value for AMR/);
});

test('burst ratio: random loss 1, one run of 20 in 500 about 19', () => {
  assert.equal(burstRatio(500, 0, 0), 1);
  assert.equal(burstRatio(490, 10, 10), 1);
  assert.equal(burstRatio(480, 20, 1), 19.2);
});

test('scripted capture: quality per stream, late packets apart from network loss, the worse direction of a call', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'ucprobe-emodel-')), 'media.pcap');
  writeScenarioCapture(path);
  const r = await analyzeFile(path);
  const by = (ssrc: string) => r.rtp.streams.find((s) => s.ssrc === ssrc)!;
  assert.deepEqual(by('0x00001001').quality, {
    codec: 'G.711', ie: 0, bpl: 25.1, source: 'G.113 App. I: G.711 with PLC', networkLossPercent: 0, latePercent: 0, effectiveLossPercent: 0,
    burstR: 1, jitterBufferMs: 60, delayMs: 80, delayBasis: 'none', id: 0, ieEff: 0, rFactor: 93.2, mos: 4.41,
  });
  // 25 lost in two runs (20 and 5): bursty, 3.8.
  const bursts = by('0x00001003').quality!;
  assert.deepEqual([bursts.networkLossPercent, bursts.burstR, bursts.rFactor, bursts.mos], [5, 11.88, 74.6, 3.8]);
  assert.equal(by('0x00001009').quality!.codec, 'G.729A');
  // With the 60 ms buffer no packet of the 0-15 ms jitter stream is late; with a 5 ms one many are, and the network lost none.
  assert.equal(by('0x00001006').late, 0);
  const tight = await analyzeFile(path, {}, {}, [], { media: { jitterBufferMs: 5 } });
  const j = tight.rtp.streams.find((s) => s.ssrc === '0x00001006')!;
  assert.ok(j.late > 50 && j.lost === 0, `late ${j.late}`);
  assert.equal(j.quality!.networkLossPercent, 0);
  assert.ok(j.quality!.latePercent > 10 && j.quality!.mos < 4, JSON.stringify(j.quality));
  // The call's worse direction.
  assert.equal(r.rtp.calls.length, 1);
  assert.equal(r.rtp.calls[0].callId, 'ssrc-change@10.50.0.1');
  assert.equal(r.rtp.calls[0].streams.length, 3);
});
