// What a payload type is: its name and RTP clock rate, from the SDP's
// a=rtpmap when there is one, else from the RFC 3551 static table. The clock
// rate turns RTP timestamps into time for the jitter (RFC 3550 §6.4.1).

import { sparseRecord } from '../common/sparse-record.js';
import { SharedValues } from './shared-values.js';

/** RFC 3551 static payload types: name and clock rate (G.722's is 8000 by the RFC's own erratum-kept rule). */
const STATIC: Readonly<Record<number, readonly [name: string, clockRate: number]>> = {
  0: ['PCMU', 8000], 3: ['GSM', 8000], 4: ['G723', 8000], 5: ['DVI4', 8000], 6: ['DVI4', 16000], 7: ['LPC', 8000],
  8: ['PCMA', 8000], 9: ['G722', 8000], 10: ['L16', 44100], 11: ['L16', 44100], 12: ['QCELP', 8000], 13: ['CN', 8000],
  14: ['MPA', 90000], 15: ['G728', 8000], 16: ['DVI4', 11025], 17: ['DVI4', 22050], 18: ['G729', 8000], 19: ['CN', 8000],
  25: ['CelB', 90000], 26: ['JPEG', 90000], 28: ['nv', 90000], 31: ['H261', 90000], 32: ['MPV', 90000], 33: ['MP2T', 90000], 34: ['H263', 90000],
};

/** Shared between the streams that use it (built once per payload type or rtpmap value): never changed. */
export interface PayloadFormat {
  /** Encoding name as SDP or RFC 3551 spells it ("PCMU", "opus", "telephone-event"); the number when unknown. */
  readonly name: string;
  /** Timestamp units per second; 0 when unknown (no jitter is computed then). */
  readonly clockRate: number;
  /** 1 / clockRate (0 when unknown): a multiply per packet instead of a divide. */
  readonly secondsPerTick: number;
  /** RFC 4733 named events (DTMF): not voice, its timestamps hold still over an event. */
  readonly event: boolean;
  /** Comfort noise (RFC 3389): sent in silences, its spacing is not jitter. */
  readonly comfortNoise: boolean;
}

/**
 * Formats already built: by payload type without an rtpmap (-1 and the 128
 * numbers: bounded), and by rtpmap value ("PCMA/8000"; a few per capture,
 * emptied past MAX_MAPPED). A report asks for each stream's formats several
 * times (and every new stream once): no split, lower-casing or object per ask.
 */
const byNumber = new Map<number, PayloadFormat>();
const byMapped = new Map<string, PayloadFormat>();
const MAX_MAPPED = 1024;

/** `rtpmap`: the SDP's pt -> "name/clock[/channels]" of the stream's media line, when SDP announced it. */
export function payloadFormat(pt: number, rtpmap: Rtpmap | null): PayloadFormat {
  const mapped = rtpmap?.[pt];
  if (mapped !== undefined) {
    let f = byMapped.get(mapped);
    if (f === undefined) {
      const [name, clock] = mapped.split('/');
      const rate = Number(clock);
      f = format(name, Number.isInteger(rate) && rate > 0 && rate <= 1_000_000 ? rate : 0);
      if (byMapped.size >= MAX_MAPPED) byMapped.clear();
      byMapped.set(mapped, f);
    }
    return f;
  }
  let f = byNumber.get(pt);
  if (f === undefined) {
    const known = STATIC[pt];
    f = known ? format(known[0], known[1]) : format(String(pt), 0);
    // Any number may be asked (a record's, a test's): only those a payload type can be, and -1, are kept.
    if (Number.isInteger(pt) && pt >= -1 && pt <= 127) byNumber.set(pt, f);
  }
  return f;
}

function format(name: string, clockRate: number): PayloadFormat {
  const lower = name.toLowerCase();
  return { name, clockRate, secondsPerTick: clockRate > 0 ? 1 / clockRate : 0, event: lower === 'telephone-event', comfortNoise: lower === 'cn' };
}

/** pt -> "name/clock[/channels]", as an SDP media line's a=rtpmap lines give it. */
export type Rtpmap = Readonly<Record<number, string>>;

/** Streams' payload maps by value: streams of calls that announce the same codecs share one (a copy per stream kept 1.4 KB). */
const shared = new SharedValues<Rtpmap>();

/**
 * A stream's payload map: the receiver's (what the sender must use), with the
 * sender's own filling what the receiver's left out; null when neither SDP
 * gave one. Shared by value: not the SDP's own object, which would keep its
 * media line's texts for as long as the stream is listed.
 */
export function streamRtpmap(sender: Rtpmap | null, receiver: Rtpmap | null): Rtpmap | null {
  const map = sender === null || sender === receiver ? receiver : receiver === null || covers(receiver, sender) ? receiver ?? sender : merge(sender, receiver);
  return map === null ? null : shared.share(JSON.stringify(map), map);
}

/** {...sender, ...receiver}, its integer keys kept in a dictionary. */
function merge(sender: Rtpmap, receiver: Rtpmap): Rtpmap {
  const map = sparseRecord<number, string>();
  for (const pt of new Set([...Object.keys(sender), ...Object.keys(receiver)].map(Number))) map[pt] = receiver[pt] ?? sender[pt];
  return map;
}

/** Every payload type of `b` is in `a` (whatever `a` maps it to: `a` wins the merge). */
function covers(a: Rtpmap, b: Rtpmap): boolean {
  for (const pt in b) if (a[pt] === undefined) return false;
  return true;
}
