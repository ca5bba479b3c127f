// The pipeline's one table of SDP media endpoints: what it says of an
// endpoint for the classifier (RTP or not), the DSCP audit (media type) and
// the media analyzer (the announcement), IPv4 keyed by number and the rest by
// text, and its bound.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSdp } from '../dissectors/sdp.js';
import type { PacketRecord, SipMessage } from '../dissectors/types.js';
import { SdpEndpoints } from '../src/pipeline/sdp-endpoints.js';
import { analyzeFile } from '../src/analysis/analyze.js';
import { analysisText } from '../src/output/analysis-text.js';
import { join } from 'node:path';
import { hasTshark, REPO, tshark } from './helpers.js';

function sdpOf(address: string, media: string[]): string {
  return ['v=0', `o=- 1 1 IN ${address.includes(':') ? 'IP6' : 'IP4'} ${address}`, 's=-', `c=IN ${address.includes(':') ? 'IP6' : 'IP4'} ${address}`, 't=0 0', ...media, ''].join('\r\n');
}

/** A record carrying one SIP message with this SDP, as the pipeline hands it on (only what the table reads). */
function recordWith(sdp: string, callId: string | null, method: string | undefined, src = '192.0.2.1', sport = 5060): PacketRecord {
  const msg = { method, callId, sdp: parseSdp(sdp) } as unknown as SipMessage;
  return { sip: [msg], ip: { src }, sport } as unknown as PacketRecord;
}

test('an offer: RTP endpoints with their announcement, T.38 as other media', () => {
  const t = new SdpEndpoints();
  t.learn(recordWith(sdpOf('198.51.100.7', ['m=audio 49170 RTP/AVP 0 8', 'a=rtpmap:8 PCMA/8000', 'm=image 49172 udptl t38']), 'c1@x', 'INVITE'));
  const audio = t.at('198.51.100.7', 49170)!;
  assert.equal(audio.rtp, true);
  assert.equal(audio.media, 'audio');
  const a = audio.announcement!;
  assert.deepEqual(
    { callId: a.callId, announcedBy: a.announcedBy, offer: a.offer, endpoint: a.endpoint, media: a.media, payloadTypes: [...a.payloadTypes], pcma: a.rtpmap[8] },
    { callId: 'c1@x', announcedBy: '192.0.2.1:5060', offer: true, endpoint: '198.51.100.7:49170', media: 'audio', payloadTypes: [0, 8], pcma: 'PCMA/8000' },
  );
  const image = t.at('198.51.100.7', 49172)!;
  assert.deepEqual({ rtp: image.rtp, media: image.media, announcement: image.announcement }, { rtp: false, media: 'image', announcement: null });
  assert.equal(t.at('198.51.100.7', 49174), undefined);
  assert.equal(t.at('198.51.100.70', 49170), undefined);
  assert.equal(t.size, 2);
});

test('IPv6 and addresses not written as packets write them are keyed by text', () => {
  const t = new SdpEndpoints();
  t.learn(recordWith(sdpOf('2001:DB8:0::1', ['m=audio 4000 RTP/AVP 0']), 'c6@x', undefined));
  assert.equal(t.at('2001:db8::1', 4000)?.announcement?.endpoint, '[2001:db8::1]:4000');
  assert.equal(t.at('2001:db8::1', 4000)?.announcement?.offer, false);
  // A leading zero is not the packet's 10.0.0.1: it stays apart, as the text keys always kept it.
  t.learn(recordWith(sdpOf('010.0.0.1', ['m=audio 4000 RTP/AVP 0']), 'c7@x', 'INVITE'));
  assert.equal(t.at('10.0.0.1', 4000), undefined);
  assert.equal(t.at('010.0.0.1', 4000)?.announcement?.callId, 'c7@x');
  t.learn(recordWith(sdpOf('media.example.com', ['m=audio 4002 RTP/AVP 0']), 'c8@x', 'INVITE'));
  assert.equal(t.at('media.example.com', 4002)?.rtp, true);
});

test('news bumps the epoch, a repeat does not; other media keeps the last RTP announcement', () => {
  const t = new SdpEndpoints();
  const offer = sdpOf('203.0.113.5', ['m=audio 5000 RTP/AVP 0']);
  t.learn(recordWith(offer, 'c@x', 'INVITE'));
  const e0 = t.epoch;
  t.learn(recordWith(offer, 'c@x', undefined));
  assert.equal(t.epoch, e0);
  t.learn(recordWith(sdpOf('203.0.113.5', ['m=image 5000 udptl t38']), 'c@x', 'INVITE'));
  assert.notEqual(t.epoch, e0);
  const e = t.at('203.0.113.5', 5000)!;
  assert.deepEqual({ rtp: e.rtp, media: e.media, callId: e.announcement?.callId, offer: e.announcement?.offer }, { rtp: false, media: 'image', callId: 'c@x', offer: false });
  // No Call-ID: the endpoint is learned, with no announcement to bind a stream to.
  t.learn(recordWith(sdpOf('203.0.113.6', ['m=audio 5000 RTP/AVP 0']), null, 'INVITE'));
  assert.equal(t.at('203.0.113.6', 5000)?.announcement, null);
});

test('bounded: the least recently announced endpoint goes first, and is counted', () => {
  const t = new SdpEndpoints(2);
  for (const port of [6000, 6002, 6000, 6004]) t.learn(recordWith(sdpOf('198.51.100.9', [`m=audio ${port} RTP/AVP 0`]), 'c@x', 'INVITE'));
  assert.equal(t.size, 2);
  assert.deepEqual(t.stats, { capacity: 2, evicted: 1 });
  assert.equal(t.at('198.51.100.9', 6002), undefined);
  assert.equal(t.at('198.51.100.9', 6000)?.rtp, true);
  assert.equal(t.at('198.51.100.9', 6004)?.rtp, true);
});

test('a full SDP endpoint table says how much it let go, in the report and its text, as an LRU over the announcements tshark lists', { skip: !hasTshark && 'tshark not installed' }, async () => {
  const demo = join(REPO, 'captures', 'demo.pcap');
  // Every SDP's media endpoints in frame order, as tshark reads them; the table keeps the most recently announced.
  const announced = tshark(['-r', demo, '-Y', 'sdp', '-T', 'fields', '-e', 'sdp.connection_info.address', '-e', 'sdp.media.port']).map((l) => l.replace('\t', ':'));
  const lru: string[] = [];
  let evicted = 0;
  for (const e of announced) {
    const at = lru.indexOf(e);
    if (at >= 0) lru.splice(at, 1);
    lru.push(e);
    if (lru.length > 4) {
      lru.shift();
      evicted++;
    }
  }
  assert.ok(evicted > 0);
  const small = await analyzeFile(demo, { maxSdpEndpoints: 4 });
  assert.deepEqual(small.pipeline.sdpEndpoints, { capacity: 4, evicted });
  assert.match(analysisText(small), new RegExp(`^  sdp        the table of media endpoints from SDP \\(4\\) let ${evicted} go to bound memory`, 'm'));
  const whole = await analyzeFile(demo);
  assert.deepEqual(whole.pipeline.sdpEndpoints, { capacity: 65536, evicted: 0 });
  assert.doesNotMatch(analysisText(whole), /^  sdp  /m);
});
