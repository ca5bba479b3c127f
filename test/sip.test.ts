// SIP parser on hand-made messages: recognition, compact forms, folding,
// repeated headers, LF-only lines, Content-Length handling, summaries.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SipMessage } from '../dissectors/types.js';
import {
  SIP_COMPACT_FORMS,
  looksLikeSip,
  parseSipDatagram,
  parseSipMessage,
  sipStreamExtent, startLineIn,
  sipSummary,
} from '../dissectors/sip.js';

const enc = new TextEncoder();
const bytes = (s: string): Uint8Array => enc.encode(s);

function parse(s: string): SipMessage {
  const b = bytes(s);
  return parseSipMessage(b, 0, b.length);
}

function looks(s: string | Uint8Array): boolean {
  const b = typeof s === 'string' ? bytes(s) : s;
  return looksLikeSip(b, 0, b.length);
}

const SDP = ['v=0', 'o=alice 2890844526 2890844526 IN IP4 192.0.2.10', 's=-', 'c=IN IP4 192.0.2.10', 't=0 0', 'm=audio 49170 RTP/AVP 0 8', 'a=rtpmap:0 PCMU/8000', ''].join('\r\n');

const INVITE = [
  'INVITE sip:bob@example.com SIP/2.0',
  'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds',
  'Max-Forwards: 70',
  'To: Bob <sip:bob@example.com>',
  'From: "Alice" <sip:alice@example.com>;tag=1928301774',
  'Call-ID: a84b4c76e66710@192.0.2.10',
  'CSeq: 314159 INVITE',
  'Contact: <sip:alice@192.0.2.10>',
  'Content-Type: application/sdp',
  `Content-Length: ${SDP.length}`,
  '',
  SDP,
].join('\r\n');

const OK = [
  'SIP/2.0 200 OK',
  'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;received=192.0.2.10',
  'To: Bob <sip:bob@example.com>;tag=a6c85cf',
  'From: "Alice" <sip:alice@example.com>;tag=1928301774',
  'Call-ID: a84b4c76e66710@192.0.2.10',
  'CSeq: 314159 INVITE',
  'Content-Length: 0',
  '',
  '',
].join('\r\n');

test('looksLikeSip accepts requests and responses', () => {
  assert.equal(looks(INVITE), true);
  assert.equal(looks(OK), true);
  assert.equal(looks('OPTIONS sip:x@y SIP/2.0\r\n'), true);
  assert.equal(looks('SIP/2.0 180 Ringing\r\n'), true);
  assert.equal(looks('SIP/2.0 100 \r\n'), true);
  assert.equal(looks('REGISTER sips:[2001:db8::1] SIP/2.0\n'), true);
  // Start line without a line end yet (truncated capture) still counts.
  assert.equal(looks('BYE sip:a@b SIP/2.0'), true);
});

test('looksLikeSip rejects what is not SIP', () => {
  assert.equal(looks(new Uint8Array(4)), false);
  assert.equal(looks(new Uint8Array(64)), false);
  assert.equal(looks('hello'), false);
  assert.equal(looks('     '), false);
  assert.equal(looks('hello world, this is text\r\n'), false);
  assert.equal(looks('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), false);
  assert.equal(looks('HTTP/1.1 200 OK\r\n\r\n'), false);
  assert.equal(looks('SIP/2.0 OK\r\n'), false);
  assert.equal(looks('SIP/x.y 200 OK\r\n'), false);
  assert.equal(looks('INVITE sip:a@b HTTP/2.0\r\n'), false);
  assert.equal(looks('INVITE sip:a@b\r\nSIP/2.0\r\n'), false);
  const rtp = new Uint8Array([0x80, 0x00, 0x12, 0x34, 0, 0, 0, 160, 0xde, 0xad, 0xbe, 0xef, ...new Uint8Array(160).fill(0xff)]);
  assert.equal(looks(rtp), false);
  const junk = new Uint8Array(256);
  for (let i = 0; i < junk.length; i++) junk[i] = (i * 131 + 17) & 0xff;
  assert.equal(looks(junk), false);
  // A token, a space, then binary.
  assert.equal(looks(new Uint8Array([0x41, 0x20, 0x61, 0x3a, 0x00, 0x01, 0x53, 0x49, 0x50, 0x2f, 0x32, 0x2e, 0x30])), false);
});

test('looksLikeSip honours off and end', () => {
  const b = bytes(`xxxx${OK}`);
  assert.equal(looksLikeSip(b, 0, b.length), false);
  assert.equal(looksLikeSip(b, 4, b.length), true);
  assert.equal(looksLikeSip(b, 4, 8), false);
  assert.equal(looksLikeSip(b, -5, 1e9), false);
  assert.equal(looksLikeSip(b, 1e9, 0), false);
});

test('a plain INVITE: every field', () => {
  const b = bytes(`${INVITE}EXTRA`);
  const m = parseSipMessage(b, 0, b.length);
  assert.equal(m.error, undefined);
  assert.equal(m.method, 'INVITE');
  assert.equal(m.requestUri, 'sip:bob@example.com');
  assert.equal(m.version, 'SIP/2.0');
  assert.equal(m.status, undefined);
  assert.equal(m.callId, 'a84b4c76e66710@192.0.2.10');
  assert.deepEqual(m.cseq, { seq: 314159, method: 'INVITE' });
  assert.equal(m.from, '"Alice" <sip:alice@example.com>;tag=1928301774');
  assert.equal(m.to, 'Bob <sip:bob@example.com>');
  assert.equal(m.fromTag, '1928301774');
  assert.equal(m.toTag, null);
  assert.equal(m.branch, 'z9hG4bK776asdhds');
  assert.equal(m.contentLength, SDP.length);
  assert.equal(m.contentType, 'application/sdp');
  assert.equal(m.length, INVITE.length, 'trailing bytes are not part of the message');
  assert.equal(new TextDecoder().decode(m.body ?? new Uint8Array(0)), SDP);
  assert.equal(m.headers.length, 9);
  assert.deepEqual(m.headers[0], { name: 'via', value: 'SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds' });
  assert.equal(m.sdp?.address, '192.0.2.10');
  assert.equal(m.sdp?.media[0].rtpmap[0], 'PCMU/8000');
  assert.equal(sipSummary(m), 'INVITE sip:bob@example.com');
});

test('body is a view into the input, not a copy', () => {
  const b = bytes(`junk${INVITE}`);
  const m = parseSipMessage(b, 4, b.length);
  assert.equal(m.error, undefined);
  assert.equal(m.length, INVITE.length);
  assert.ok(m.body !== null);
  assert.equal(m.body.buffer, b.buffer);
  assert.equal(m.body.byteOffset, 4 + INVITE.length - SDP.length);
});

test('a 200 OK: status, reason, tags and summary', () => {
  const m = parse(OK);
  assert.equal(m.error, undefined);
  assert.equal(m.status, 200);
  assert.equal(m.reason, 'OK');
  assert.equal(m.method, undefined);
  assert.equal(m.toTag, 'a6c85cf');
  assert.equal(m.body, null);
  assert.equal(m.length, OK.length);
  assert.equal(sipSummary(m), '200 OK (INVITE)');
});

test('compact forms map to long names', () => {
  assert.equal(SIP_COMPACT_FORMS.i, 'call-id');
  assert.equal(SIP_COMPACT_FORMS.m, 'contact');
  assert.equal(SIP_COMPACT_FORMS.e, 'content-encoding');
  assert.equal(SIP_COMPACT_FORMS.l, 'content-length');
  assert.equal(SIP_COMPACT_FORMS.c, 'content-type');
  assert.equal(SIP_COMPACT_FORMS.f, 'from');
  assert.equal(SIP_COMPACT_FORMS.s, 'subject');
  assert.equal(SIP_COMPACT_FORMS.k, 'supported');
  assert.equal(SIP_COMPACT_FORMS.t, 'to');
  assert.equal(SIP_COMPACT_FORMS.v, 'via');
  assert.equal(SIP_COMPACT_FORMS.o, 'event');
  assert.equal(SIP_COMPACT_FORMS.u, 'allow-events');
  assert.equal(SIP_COMPACT_FORMS.r, 'refer-to');
  assert.equal(SIP_COMPACT_FORMS.b, 'referred-by');
  assert.equal(SIP_COMPACT_FORMS.x, 'session-expires');
  assert.equal(SIP_COMPACT_FORMS.y, 'identity');

  const m = parse(
    [
      'SUBSCRIBE sip:bob@example.com SIP/2.0',
      'v: SIP/2.0/TCP h;branch=z9hG4bKc1',
      'Max-Forwards: 70',
      'T: <sip:bob@example.com>',
      'f: <sip:alice@example.com>;tag=ff',
      'i: compact@h',
      'CSeq: 1 SUBSCRIBE',
      'm: <sip:alice@h>',
      'o: presence',
      'u: dialog',
      'k: timer',
      'x: 1800',
      's: hello',
      'e: gzip',
      'r: <sip:carol@example.com>',
      'b: <sip:dave@example.com>',
      'y: abc',
      'C: text/plain',
      'L: 2',
      '',
      'hi',
    ].join('\r\n'),
  );
  assert.equal(m.error, undefined);
  assert.deepEqual(
    m.headers.map((h) => h.name),
    [
      'via',
      'max-forwards',
      'to',
      'from',
      'call-id',
      'cseq',
      'contact',
      'event',
      'allow-events',
      'supported',
      'session-expires',
      'subject',
      'content-encoding',
      'refer-to',
      'referred-by',
      'identity',
      'content-type',
      'content-length',
    ],
  );
  assert.equal(m.callId, 'compact@h');
  assert.equal(m.fromTag, 'ff');
  assert.equal(m.branch, 'z9hG4bKc1');
  assert.equal(m.contentType, 'text/plain');
  assert.equal(m.contentLength, 2);
  assert.equal(new TextDecoder().decode(m.body ?? new Uint8Array(0)), 'hi');
});

test('header names are case-insensitive and stored lower-case', () => {
  const m = parse(OK.replace('Call-ID', 'cALL-iD').replace('Content-Length', 'CONTENT-LENGTH'));
  assert.equal(m.error, undefined);
  assert.equal(m.callId, 'a84b4c76e66710@192.0.2.10');
  assert.ok(m.headers.some((h) => h.name === 'content-length'));
});

test('folded headers are unfolded (CRLF + SP or HT)', () => {
  const m = parse(
    OK.replace('CSeq: 314159 INVITE', 'CSeq: 314159\r\n\tINVITE').replace(
      'Content-Length: 0',
      'Subject: lunch\r\n   at noon  \r\n\t\ttomorrow\r\nContent-Length: 0',
    ),
  );
  assert.equal(m.error, undefined);
  assert.deepEqual(m.cseq, { seq: 314159, method: 'INVITE' });
  assert.deepEqual(
    m.headers.filter((h) => h.name === 'subject'),
    [{ name: 'subject', value: 'lunch at noon tomorrow' }],
  );
});

test('repeated headers are kept in order; top Via gives the branch', () => {
  const m = parse(
    OK.replace(
      'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;received=192.0.2.10',
      'Via: SIP/2.0/UDP p1;branch=z9hG4bKtop, SIP/2.0/UDP p2;branch=z9hG4bKmid\r\nRecord-Route: <sip:p1;lr>\r\nVia: SIP/2.0/TCP p3;branch=z9hG4bKlow\r\nRecord-Route: <sip:p2;lr>',
    ),
  );
  assert.equal(m.error, undefined);
  assert.equal(m.branch, 'z9hG4bKtop');
  assert.deepEqual(
    m.headers.filter((h) => h.name === 'via').map((h) => h.value),
    ['SIP/2.0/UDP p1;branch=z9hG4bKtop, SIP/2.0/UDP p2;branch=z9hG4bKmid', 'SIP/2.0/TCP p3;branch=z9hG4bKlow'],
  );
  assert.deepEqual(
    m.headers.filter((h) => h.name === 'record-route').map((h) => h.value),
    ['<sip:p1;lr>', '<sip:p2;lr>'],
  );
});

test('bare LF line endings', () => {
  const lf = INVITE.replace(/\r\n/g, '\n').replace(`Content-Length: ${SDP.length}`, `Content-Length: ${SDP.replace(/\r\n/g, '\n').length}`);
  const m = parse(lf);
  assert.equal(m.error, undefined);
  assert.equal(m.callId, 'a84b4c76e66710@192.0.2.10');
  assert.equal(m.length, lf.length);
  assert.equal(m.sdp?.media[0].port, 49170);
  const folded = parse(OK.replace(/\r\n/g, '\n').replace('CSeq: 314159 INVITE', 'CSeq: 314159\n INVITE'));
  assert.equal(folded.error, undefined);
  assert.equal(folded.cseq?.method, 'INVITE');
});

test('Content-Length: non-numeric, absent, too large', () => {
  const xyz = parse(OK.replace('Content-Length: 0', 'Content-Length: xyz') + 'body');
  assert.match(xyz.error ?? '', /Content-Length "xyz"/);
  assert.equal(xyz.contentLength, null);
  assert.equal(new TextDecoder().decode(xyz.body ?? new Uint8Array(0)), 'body', 'a datagram body is then the rest');

  const none = parse(OK.replace('Content-Length: 0\r\n', '') + 'rest');
  assert.equal(none.error, undefined);
  assert.equal(none.contentLength, null);
  assert.equal(new TextDecoder().decode(none.body ?? new Uint8Array(0)), 'rest');

  const big = parse(OK.replace('Content-Length: 0', 'Content-Length: 10') + 'abc');
  assert.match(big.error ?? '', /Content-Length 10 exceeds the 3 body bytes/);
  assert.equal(big.body?.length, 3);

  const neg = parse(OK.replace('Content-Length: 0', 'l: -1'));
  assert.match(neg.error ?? '', /not a non-negative integer/);

  const same = parse(OK.replace('Content-Length: 0', 'Content-Length: 0\r\nl: 0'));
  assert.equal(same.error, undefined, 'a repeated identical value is harmless');
});

test('leading CRLFs are skipped and counted in length', () => {
  const m = parse(`\r\n\r\n${OK}`);
  assert.equal(m.error, undefined);
  assert.equal(m.status, 200);
  assert.equal(m.length, OK.length + 4);
});

test('parseSipDatagram: keep-alives hold no message, extra octets are ignored', () => {
  assert.deepEqual(parseSipDatagram(bytes('\r\n\r\n'), 0, 4), []);
  assert.deepEqual(parseSipDatagram(new Uint8Array(0), 0, 0), []);
  const b = bytes(`${OK}${OK}`);
  const msgs = parseSipDatagram(b, 0, b.length);
  assert.equal(msgs.length, 1);
  assert.equal(msgs[0].length, OK.length);
});

test('malformed start lines and headers are flagged, not thrown', () => {
  assert.match(parse('hello\r\n\r\n').error ?? '', /garbled start line/);
  assert.match(parse('').error ?? '', /empty message/);
  assert.match(parse('SIP/2.0 2x0 Odd\r\n\r\n').error ?? '', /garbled status code/);
  assert.match(parse('SIP/2.0 099 Low\r\n\r\n').error ?? '', /out of range/);
  assert.match(parse('SIP/2.0 700 High\r\n\r\n').error ?? '', /out of range/);
  assert.match(parse('SIP/3.0 200 OK\r\n\r\n').error ?? '', /unsupported SIP version/);
  assert.match(parse('INVITE sip:a@b\r\n\r\n').error ?? '', /without SIP version/);
  const noColon = parse(OK.replace('Content-Length: 0', 'Content-Length 0\r\nthis is not a header'));
  assert.match(noColon.error ?? '', /header line without colon/);
  assert.equal(noColon.callId, 'a84b4c76e66710@192.0.2.10', 'parsing went on');
  assert.match(parse(OK.replace('Content-Length: 0\r\n\r\n', 'Content-Length: 0\r\n')).error ?? '', /not terminated/);
  assert.match(parse('SIP/2.0 200 OK\r\n\r\n').error ?? '', /missing required headers: To, From, Call-ID, CSeq, Via/);
  assert.match(parse(OK.replace('Call-ID: a84b4c76e66710@192.0.2.10', 'Call-ID: a84b4c76e66710@192.0.2.10\r\nCall-ID: other')).error ?? '', /more than one Call-ID/);
  assert.match(parse(OK.replace('CSeq: 314159 INVITE', 'CSeq: 2147483648 INVITE')).error ?? '', /exceeds 2\^31-1/);
  assert.equal(parse(OK.replace('CSeq: 314159 INVITE', 'CSeq: 2147483647 INVITE')).error, undefined);
  assert.match(parse(OK.replace('CSeq: 314159 INVITE', 'CSeq: INVITE')).error ?? '', /malformed CSeq/);
  assert.match(parse(OK.replace('Content-Length: 0', 'Date: Sat, 13 Nov 2010 23:29:00 PST\r\nContent-Length: 0')).error ?? '', /GMT/);
  assert.equal(parse(OK.replace('Content-Length: 0', 'Date: Sat, 13 Nov 2010 23:29:00 GMT\r\nContent-Length: 0')).error, undefined);
});

test('Max-Forwards: an RFC 3261 request without it parses whole and carries the deviation, not an error', () => {
  const missing = INVITE.replace('Max-Forwards: 70\r\n', '');
  assert.equal(parse(missing).error, undefined);
  assert.deepEqual(parse(missing).deviations, ['request without Max-Forwards (RFC 3261 8.1.1.6)']);
  assert.equal(parse(INVITE).deviations, undefined);
  // An RFC 2543 request (no magic cookie in the branch) predates the rule.
  const old = parse(missing.replace(';branch=z9hG4bK776asdhds', ''));
  assert.equal(old.error, undefined);
  assert.equal(old.deviations, undefined);
  assert.match(parse(INVITE.replace('Max-Forwards: 70', 'Max-Forwards: 256')).error ?? '', /Max-Forwards 256 exceeds 255/);
});

test('ACK and CANCEL carry their own method in CSeq', () => {
  for (const method of ['ACK', 'CANCEL']) {
    const m = parse(INVITE.replace('INVITE sip:', `${method} sip:`).replace('CSeq: 314159 INVITE', `CSeq: 314159 ${method}`));
    assert.equal(m.error, undefined, method);
    assert.equal(m.cseq?.method, method);
  }
});

test('content type parameters and case do not hide SDP', () => {
  const m = parse(INVITE.replace('Content-Type: application/sdp', 'Content-Type: Application/SDP ; charset=utf-8'));
  assert.equal(m.contentType, 'application/sdp');
  assert.equal(m.sdp?.media.length, 1);
  const other = parse(INVITE.replace('Content-Type: application/sdp', 'Content-Type: text/plain'));
  assert.equal(other.sdp, null);
  assert.ok(other.body !== null);
});

/** INVITE whose body is `body` under this Content-Type. */
function inviteWith(contentType: string, body: string): SipMessage {
  return parse(INVITE.replace('Content-Type: application/sdp', `Content-Type: ${contentType}`).replace(`Content-Length: ${SDP.length}\r\n\r\n${SDP}`, `Content-Length: ${bytes(body).length}\r\n\r\n${body}`));
}

test('multipart bodies: the SDP part of a SIP-I INVITE (beside ISUP), nested, quoted boundary, LF-only lines', () => {
  // RFC 3204's shape: SDP and an ISUP IAM whose bytes hold a CRLF and a "--" that is no delimiter.
  const isup = '\x01\x00\x60\x00\x0a\x00\x02\x0a\x08\x83\x90\x89\x59\x67\x13\x00\x05\r\n--unique-boundary-1x\x0f';
  const sipI = ['--unique-boundary-1', 'Content-Type: application/sdp', '', SDP, '--unique-boundary-1',
    'Content-Type: application/ISUP; version=nxv3; base=etsi121', 'Content-Disposition: signal; handling=optional', '', isup, '--unique-boundary-1--', ''].join('\r\n');
  const m = inviteWith('multipart/mixed; boundary=unique-boundary-1', sipI);
  assert.equal(m.error, undefined);
  assert.equal(m.contentType, 'multipart/mixed');
  assert.equal(m.sdp?.address, '192.0.2.10');
  assert.deepEqual(m.sdp?.media.map((x) => [x.media, x.port, x.rtpmap[0]]), [['audio', 49170, 'PCMU/8000']]);
  // SDP second, in a multipart/alternative inside multipart/mixed, boundaries quoted, LF-only lines.
  const nested = ['--outer', 'Content-Type: text/plain', '', 'hello', '--outer', 'Content-Type: multipart/alternative; boundary="in ner"', '',
    '--in ner', 'Content-Type: text/html', '', '<p>x</p>', '--in ner', 'content-type: Application/SDP', '', SDP.replace(/\r\n/g, '\n'), '--in ner--', '--outer--', ''].join('\n');
  const n = inviteWith('multipart/mixed;boundary="outer"', nested);
  assert.equal(n.sdp?.address, '192.0.2.10');
  assert.equal(n.sdp?.media[0].port, 49170);
});

test('multipart bodies without an SDP part, or broken: no SDP and no error from the body', () => {
  const part = (type: string) => ['--b1', `Content-Type: ${type}`, '', SDP, '--b1--', ''].join('\r\n');
  assert.equal(inviteWith('multipart/mixed; boundary=b1', part('text/plain')).sdp, null);
  // No boundary parameter, the wrong one, a part never ended, an empty body.
  assert.equal(inviteWith('multipart/mixed', part('application/sdp')).sdp, null);
  assert.equal(inviteWith('multipart/mixed; boundary=b2', part('application/sdp')).sdp, null);
  assert.equal(inviteWith('multipart/mixed; boundary=b1', ['--b1', 'Content-Type: application/sdp', '', SDP].join('\r\n')).sdp, null);
  assert.equal(inviteWith('multipart/mixed; boundary=b1', '').sdp, null);
  // A delimiter must start a line: "--b1" inside a line does not split the part.
  const inline = ['--b1', 'Content-Type: application/sdp', '', SDP.replace('s=-', 's=see --b1 here'), '--b1--', ''].join('\r\n');
  assert.equal(inviteWith('multipart/mixed; boundary=b1', inline).sdp?.media[0].port, 49170);
});

test('Contact forms: star, lists, quoted commas, params', () => {
  const ok = (contact: string): string | undefined =>
    parse(OK.replace('Content-Length: 0', `Contact: ${contact}\r\nContent-Length: 0`)).error;
  assert.equal(ok('*'), undefined);
  assert.equal(ok('<sip:a@h1>;expires=60, "Doe, John" <sip:b@h2>;q=0.5'), undefined);
  assert.equal(ok('sip:a@h1;expires=3600'), undefined);
  assert.match(ok('<sip:a@h1>,,<sip:b@h2>') ?? '', /empty list element/);
  assert.match(ok('<sip:a@h1>;expires=4294967296') ?? '', /Contact expires/);
  assert.match(ok('<sip:a@h1') ?? '', /"<" without ">"/);
  assert.match(ok('"Unclosed <sip:a@h1>') ?? '', /unterminated quoted string/);
});

test('sipSummary for requests, responses and wrecks', () => {
  assert.equal(sipSummary(parse(INVITE)), 'INVITE sip:bob@example.com');
  assert.equal(sipSummary(parse(OK)), '200 OK (INVITE)');
  assert.equal(sipSummary(parse(OK.replace('200 OK', '486 Busy Here'))), '486 Busy Here (INVITE)');
  assert.match(sipSummary(parse('\u0001\u0002')), /^malformed SIP: /);
});

test('sipStreamExtent finds header end and Content-Length without decoding', () => {
  const b = bytes(`${INVITE}${OK}`);
  assert.deepEqual(sipStreamExtent(b, 0, b.length), { headerLength: INVITE.length - SDP.length, bodyLength: SDP.length, unusableLength: false });
  assert.deepEqual(sipStreamExtent(b, INVITE.length, b.length), { headerLength: OK.length, bodyLength: 0, unusableLength: false });
  assert.equal(sipStreamExtent(b, 0, 40), null);
  const compact = bytes('MESSAGE sip:a@b SIP/2.0\nl : 5\n\nhello');
  assert.deepEqual(sipStreamExtent(compact, 0, compact.length), { headerLength: compact.length - 5, bodyLength: 5, unusableLength: false });
  const bad = bytes('MESSAGE sip:a@b SIP/2.0\r\nContent-Length: xyz\r\n\r\n');
  assert.deepEqual(sipStreamExtent(bad, 0, bad.length), { headerLength: bad.length, bodyLength: 0, unusableLength: true });
  // Framing skips an unusable value the way the parser does, so both pick the same length.
  const text = 'MESSAGE sip:a@b SIP/2.0\r\nl: xyz\r\nContent-Length: 3\r\n\r\nabc';
  const two = bytes(text);
  assert.equal(sipStreamExtent(two, 0, two.length)?.bodyLength, 3);
  assert.equal(sipStreamExtent(two, 0, two.length)?.unusableLength, false);
  assert.equal(parseSipMessage(two, 0, two.length).contentLength, 3);
  const huge = bytes('MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 99999999999\r\n\r\n');
  assert.equal(sipStreamExtent(huge, 0, huge.length)?.bodyLength, 0);
  assert.equal(sipStreamExtent(huge, 0, huge.length)?.unusableLength, true);
  // Where a start line begins inside a line: glued to a body, or not there at all.
  const at = (line: string): number => startLineIn(bytes(line), 0, bytes(line).length);
  assert.equal(at('helloOPTIONS sip:a@b SIP/2.0\r\n'), 5);
  assert.equal(at('OPTIONS sip:a@b SIP/2.0\r\n'), 0);
  assert.equal(at('body text FOO sip:a@b SIP/2.0\r\n'), 10);
  assert.equal(at('xyzSIP/2.0 180 Ringing\r\n'), 3);
  assert.equal(at('hello world\r\n'), -1);
  assert.equal(at('says SIP/2.0 twice: SIP/2.0 x\r\n'), -1);
});

test('large volumes parse quickly', () => {
  const b = bytes(INVITE);
  const n = 20000;
  const t0 = process.hrtime.bigint();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += parseSipMessage(b, 0, b.length).length;
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  assert.equal(sum, n * INVITE.length);
  // Generous bound: catches accidental quadratic work, not machine speed.
  assert.ok(ms < 5000, `${n} INVITEs took ${ms.toFixed(0)} ms`);
});
