// ITU-T G.107 E-model, the parts a capture can feed: R = Ro - Is - Id -
// Ie,eff + A with the default Ro - Is = 93.2 and A = 0; Id from the one-way
// delay (Idd, §7.4; echo terms at their defaults are left out); Ie,eff from
// the codec's Ie and Bpl (ITU-T G.113 Appendix I) and the packet loss with
// its burstiness (BurstR from the two-state Markov model of the losses);
// MOS from R (G.107 Annex B). Pure functions of numbers.

export interface CodecImpairment {
  /** The codec the figures are for ("G.711" covers PCMU and PCMA). */
  codec: string;
  /** Equipment impairment factor Ie with no loss. */
  ie: number;
  /** Packet-loss robustness factor Bpl. */
  bpl: number;
  /** Algorithmic delay beyond the packet time: look-ahead (ms). */
  lookaheadMs: number;
  /** Where the figures come from, shown with the score. */
  source: string;
}

const G711: CodecImpairment = { codec: 'G.711', ie: 0, bpl: 25.1, lookaheadMs: 0, source: 'G.113 App. I: G.711 with PLC' };

/**
 * By encoding name (lower case). G.722 and Opus are wideband; the
 * narrowband R scale cannot show what they gain, so they are scored as
 * G.711 with PLC would be (no codec impairment, Bpl 25.1), and say so.
 */
const CODECS: Readonly<Record<string, CodecImpairment>> = {
  pcmu: G711,
  pcma: G711,
  g729: { codec: 'G.729A', ie: 11, bpl: 19, lookaheadMs: 5, source: 'G.113 App. I: G.729A + VAD' },
  g723: { codec: 'G.723.1', ie: 15, bpl: 16.1, lookaheadMs: 7.5, source: 'G.113 App. I: G.723.1 6.3 kbit/s + VAD' },
  g722: { codec: 'G.722', ie: 0, bpl: 25.1, lookaheadMs: 1.5, source: 'narrowband scale: as G.711 with PLC (G.722 is wideband)' },
  opus: { codec: 'Opus', ie: 0, bpl: 25.1, lookaheadMs: 6.5, source: 'narrowband scale: as G.711 with PLC (no G.113 value for Opus)' },
};

export function codecImpairment(encoding: string): CodecImpairment {
  return CODECS[encoding.toLowerCase()] ?? { ...G711, codec: encoding, source: `no G.113 value for ${encoding}: scored as G.711 with PLC` };
}

export interface EModelInput {
  codec: CodecImpairment;
  /** Packets lost to the listener, % of expected (network loss + late in the jitter buffer). */
  lossPercent: number;
  /** 1 for random loss, > 1 for bursty. */
  burstR: number;
  /** Mouth-to-ear one-way delay (ms). */
  delayMs: number;
}

export interface EModelResult {
  rFactor: number;
  mos: number;
  /** The impairments that made R, for the reader to see why. */
  id: number;
  ieEff: number;
}

/** R and MOS of one direction. */
export function eModel(x: EModelInput): EModelResult {
  const { ie, bpl } = x.codec;
  const ppl = Math.max(0, x.lossPercent);
  const ieEff = ie + ((95 - ie) * ppl) / (ppl / Math.max(1, x.burstR) + bpl);
  const id = delayImpairment(x.delayMs);
  const r = 93.2 - id - ieEff;
  return { rFactor: round(r, 1), mos: round(mosFromR(r), 2), id: round(id, 2), ieEff: round(ieEff, 2) };
}

/** G.107 §7.4 Idd for an absolute delay Ta (ms); 0 up to 100 ms. */
export function delayImpairment(ta: number): number {
  if (ta <= 100) return 0;
  const x = Math.log10(ta / 100) / Math.log10(2);
  return 25 * ((1 + x ** 6) ** (1 / 6) - 3 * (1 + (x / 3) ** 6) ** (1 / 6) + 2);
}

/** G.107 Annex B. */
export function mosFromR(r: number): number {
  if (r <= 0) return 1;
  if (r >= 100) return 4.5;
  return 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6;
}

/**
 * BurstR of a two-state Markov loss model: p = P(loss after a received
 * packet), q = P(received after a loss), BurstR = 1 / (p + q); 1 when
 * nothing was lost (random loss gives 1 too).
 */
export function burstRatio(received: number, lost: number, lossRuns: number): number {
  if (lost <= 0 || received <= 0 || lossRuns <= 0) return 1;
  const p = lossRuns / received;
  const q = lossRuns / lost;
  return round(Math.max(1, 1 / (p + q)), 2);
}

function round(v: number, places: number): number {
  const k = 10 ** places;
  return Math.round(v * k) / k;
}
