// SDP parser: a typical offer field by field, then the awkward cases.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSdp, parseSdpBytes, parseSdpIn } from '../dissectors/sdp.js';

const OFFER = [
  'v=0',
  'o=alice 2890844526 2890844527 IN IP4 198.51.100.7',
  's=Call',
  'c=IN IP4 198.51.100.7',
  't=0 0',
  'm=audio 49170 RTP/AVP 0 8 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-15',
  'a=sendrecv',
  'm=video 51372 RTP/AVP 96 97',
  'c=IN IP4 198.51.100.8',
  'a=rtpmap:96 H264/90000',
  'a=rtpmap:97 opus/48000/2',
  '',
].join('\r\n');

test('a typical audio+video offer, field by field', () => {
  const r = parseSdp(OFFER);
  assert.equal(r.error, undefined);
  assert.equal(r.origin, 'alice 2890844526 2890844527 IN IP4 198.51.100.7');
  assert.equal(r.address, '198.51.100.7');
  assert.equal(r.media.length, 2);
  const [audio, video] = r.media;
  assert.deepEqual(audio, {
    media: 'audio',
    port: 49170,
    proto: 'RTP/AVP',
    payloadTypes: [0, 8, 101],
    address: '198.51.100.7',
    rtpmap: { 0: 'PCMU/8000', 8: 'PCMA/8000', 101: 'telephone-event/8000' },
  });
  assert.deepEqual(video, {
    media: 'video',
    port: 51372,
    proto: 'RTP/AVP',
    payloadTypes: [96, 97],
    address: '198.51.100.8',
    rtpmap: { 96: 'H264/90000', 97: 'opus/48000/2' },
  });
});

test('bytes and bare LF lines give the same result', () => {
  const lf = OFFER.replace(/\r\n/g, '\n');
  const b = new TextEncoder().encode(`xx${OFFER}`);
  assert.deepEqual(parseSdp(lf), parseSdp(OFFER));
  assert.deepEqual(parseSdpBytes(b, 2, b.length), parseSdp(OFFER));
  assert.match(parseSdpBytes(b, 5, 2).error ?? '', /no v= line/);
});

test('multicast and IPv6 connection addresses drop /ttl and /count', () => {
  const r = parseSdp(
    [
      'v=0',
      'o=- 1 1 IN IP6 2001:db8::1',
      's=-',
      'c=IN IP4 233.252.0.1/127',
      't=0 0',
      'm=audio 49170/2 RTP/AVP 0',
      'm=video 51372 RTP/AVP 31',
      'c=IN IP6 ff15::101/3',
      'm=text 0 RTP/AVP 98',
      'c=IN IP6 2001:db8::20',
    ].join('\r\n'),
  );
  assert.equal(r.error, undefined);
  assert.equal(r.address, '233.252.0.1');
  assert.deepEqual(
    r.media.map((m) => [m.media, m.port, m.address]),
    [
      ['audio', 49170, '233.252.0.1'],
      ['video', 51372, 'ff15::101'],
      ['text', 0, '2001:db8::20'],
    ],
  );
});

test('no session c=: media without their own c= have no address', () => {
  const r = parseSdp('v=0\r\nm=audio 4000 RTP/AVP 0\r\nm=audio 4002 RTP/AVP 0\r\nc=IN IP4 192.0.2.9\r\n');
  assert.equal(r.address, null);
  assert.deepEqual(
    r.media.map((m) => m.address),
    [null, '192.0.2.9'],
  );
});

test('non-RTP formats are not payload types', () => {
  const r = parseSdp('v=0\r\nc=IN IP4 192.0.2.1\r\nm=image 6000 udptl t38\r\nm=application 9 TCP/BFCP *\r\nm=audio 7000 RTP/AVP 0 300 x\r\n');
  assert.equal(r.error, undefined);
  assert.deepEqual(
    r.media.map((m) => [m.proto, m.payloadTypes]),
    [
      ['udptl', []],
      ['TCP/BFCP', []],
      ['RTP/AVP', [0]],
    ],
  );
});

test('errors: no v= line, unparsable m= and c= lines', () => {
  assert.match(parseSdp('').error ?? '', /no v= line/);
  assert.match(parseSdp('hello world').error ?? '', /no v= line/);
  const noV = parseSdp('o=- 1 1 IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP 0\r\n');
  assert.match(noV.error ?? '', /no v= line/);
  assert.equal(noV.media.length, 1, 'the rest is still parsed');

  const badM = parseSdp('v=0\r\nm=audio\r\na=rtpmap:0 PCMU/8000\r\nm=video 99999 RTP/AVP 31\r\nm=audio x RTP/AVP 0\r\nm=audio 5000 RTP/AVP 0\r\n');
  assert.match(badM.error ?? '', /unparsable m= line "audio"/);
  assert.match(badM.error ?? '', /unparsable m= line "video 99999/);
  assert.match(badM.error ?? '', /unparsable m= line "audio x/);
  assert.deepEqual(
    badM.media.map((m) => m.port),
    [5000],
  );
  assert.deepEqual(badM.media[0].rtpmap, {}, 'attributes of a bad m= line go nowhere');

  assert.match(parseSdp('v=0\r\nc=IN\r\n').error ?? '', /unparsable c= line/);
});

test('rtpmap edge cases', () => {
  const r = parseSdp('v=0\r\nm=audio 4000 RTP/AVP 31 0\r\na=rtpmap:31 LPC\r\na=rtpmap:x PCMU/8000\r\na=rtpmap:0\r\na=rtpmap:0  PCMU/8000 \r\n');
  assert.deepEqual(r.media[0].rtpmap, { 31: 'LPC', 0: 'PCMU/8000' });
});

test('never throws on odd text', () => {
  for (const s of ['\u0000', '=', 'v=', 'm=', 'c=', 'a=rtpmap:', '\r\n\r\n', 'v=0\nm= \nc= \n', 'x'.repeat(10000)]) {
    assert.doesNotThrow(() => parseSdp(s));
  }
});

test('a body read where it stands in a longer text: nothing before or after it is read', () => {
  const before = 'INVITE sip:b@example.com SIP/2.0\r\nContent-Length: 999\r\n\r\n';
  // What follows the body (octets past Content-Length) would add an rtpmap, a c= line and a media line if read.
  const after = 'map:8 PCMA/8000\r\nc=IN IP4 203.0.113.9\r\nm=video 6000 RTP/AVP 96\r\n';
  const body = OFFER.slice(0, OFFER.indexOf('a=rtpmap:8')) + 'a=rtp';
  const r = parseSdpIn(before + body + after, before.length, before.length + body.length);
  assert.deepEqual(r, parseSdp(body));
  assert.deepEqual(r.media.map((m) => [m.media, m.port, m.address, m.rtpmap]), [['audio', 49170, '198.51.100.7', { 0: 'PCMU/8000' }]]);
  // An encoding that is not one of the common constants is its own string, equal to the text.
  const oddBody = 'v=0\r\nm=audio 1 RTP/AVP 98\r\na=rtpmap:98 x-vendor-codec/16000/1\r\n';
  const odd = parseSdpIn(before + oddBody + after, before.length, before.length + oddBody.length);
  assert.deepEqual(odd.media[0].rtpmap, { 98: 'x-vendor-codec/16000/1' });
});

test('media lines with the same a=rtpmap lines share one map; other lines, or the same ones in another order, get their own', () => {
  const section = (port: number, maps: string[]) => [`m=audio ${port} RTP/AVP 0 8 101`, ...maps.map((m) => `a=rtpmap:${m}`)].join('\r\n');
  const usual = ['0 PCMU/8000', '8 PCMA/8000', '101 telephone-event/8000'];
  const a = parseSdp(['v=0', section(4000, usual), section(4002, usual), ''].join('\r\n'));
  const b = parseSdp(['v=0', section(5000, usual), section(5002, [...usual].reverse()), section(5004, ['0 PCMU/8000', '0 PCMA/8000']), section(5006, []), ''].join('\r\n'));
  assert.equal(a.media[0].rtpmap, a.media[1].rtpmap);
  assert.equal(b.media[0].rtpmap, a.media[0].rtpmap, 'across bodies too');
  assert.notEqual(b.media[1].rtpmap, b.media[0].rtpmap);
  assert.deepEqual(b.media[1].rtpmap, b.media[0].rtpmap, 'the same entries all the same');
  assert.deepEqual(b.media[2].rtpmap, { 0: 'PCMA/8000' }, 'a payload type given twice keeps its last encoding');
  assert.deepEqual(b.media[3].rtpmap, {});
  assert.equal(JSON.stringify(a.media[0].rtpmap), '{"0":"PCMU/8000","8":"PCMA/8000","101":"telephone-event/8000"}');
});
