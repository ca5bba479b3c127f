// SIP message counts per method and per status code against tshark's
// `-z sip,stat`, on the bundled captures and every capture in the shared
// corpus.
//
// One documented difference: tshark's SIP statistics tap runs only for a
// message its dissector parsed to the end of the headers; when the dissector
// throws ("[Malformed Packet: SIP]") the tap never sees the message, though
// tshark still shows its method or status for that frame (the per-frame
// check in tshark-crosscheck.test.ts compares those). ucprobe counts every
// message it can name. The frames whose messages tshark's tap skipped are
// found by the `sip.resend` field, which tshark fills for exactly the
// messages it hands to the tap; those messages are left out of our side
// before comparing, and nothing else is.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { basename, join } from 'node:path';
import { SipCounter } from '../src/analysis/sip-counts.js';
import { REPO, decodeAll, hasTshark, tshark, tsharkReadableCaptures, tsharkSipStat, type TsharkSipStat } from './helpers.js';


/** Per frame: how many SIP messages tshark's statistics tap was given (the `sip.resend` occurrences). */
function tappedPerFrame(file: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const line of tshark(['-r', file, '-Y', 'sip', '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,', '-e', 'frame.number', '-e', 'sip.resend'])) {
    const [frame, resend] = line.split('\t');
    out.set(Number(frame), resend ? resend.split(',').length : 0);
  }
  return out;
}

/** The project's SipCounter over the messages tshark's tap was given. */
async function ours(file: string, tapped: Map<number, number>): Promise<{ counts: TsharkSipStat; skipped: number }> {
  const counter = new SipCounter();
  let skipped = 0;
  const { records } = await decodeAll(file);
  for (const r of records) {
    const msgs = r.sip ?? [];
    // An exception stops tshark's dissection at that message: the ones before it were tapped.
    const keep = tapped.get(r.frame) ?? msgs.length;
    skipped += Math.max(0, msgs.length - keep);
    counter.add({ ...r, sip: r.sip === null ? null : msgs.slice(0, keep) });
  }
  const { messages, requests, responses } = counter.counts;
  return { counts: { messages, requests, responses }, skipped };
}

const files = tsharkReadableCaptures();
/** Captures where tshark's tap skipped messages its dissector threw on (checked below, so the exception stays visible). */
const TAP_SKIPS: Record<string, number> = { 'ndpi__fuzz-2006-06-26-2594.pcap': 24, 'pcapplusplus__sip_reqs.pcap': 1 };

for (const file of files) {
  test(`sip,stat agrees: ${basename(file)}`, { skip: !hasTshark && 'tshark not installed' }, async () => {
    const theirs = tsharkSipStat(file);
    const { counts, skipped } = await ours(file, tappedPerFrame(file));
    assert.equal(skipped, TAP_SKIPS[basename(file)] ?? 0, 'messages tshark dissected only partly');
    assert.deepEqual(counts, theirs);
  });
}

test('sip,stat on the demo counts what demo.md states', { skip: !hasTshark && 'tshark not installed' }, () => {
  const s = tsharkSipStat(join(REPO, 'captures', 'demo.pcap'));
  assert.deepEqual(s, { messages: 125, requests: { INVITE: 12, ACK: 12, OPTIONS: 25, BYE: 8, CANCEL: 2 }, responses: { 100: 12, 180: 10, 200: 40, 486: 2, 487: 2 } });
});
