// RFC 4475 and RFC 5118 torture messages, read where the shared corpus keeps
// them (never copied into the repository), plus fast-check properties that
// random and mutated messages never make the SIP/SDP code throw.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import type { SipMessage } from '../dissectors/types.js';
import { looksLikeSip, parseSipDatagram, parseSipMessage, sipSummary } from '../dissectors/sip.js';
import { parseSdp } from '../dissectors/sdp.js';
import { SipStreamFramer } from '../src/reassembly/sip-stream-framer.js';
import { CORPUS, needsCorpus } from './helpers.js';

const TORTURE = join(CORPUS, 'sip-torture');
const haveCorpus = existsSync(join(TORTURE, 'EXPECTATIONS.tsv'));
const skip = needsCorpus || (!haveCorpus && `${TORTURE} has no EXPECTATIONS.tsv`);

interface Case {
  file: string;
  expectation: string;
}

function cases(): Case[] {
  if (!haveCorpus) return [];
  const lines = readFileSync(join(TORTURE, 'EXPECTATIONS.tsv'), 'utf8').split('\n');
  const out: Case[] = [];
  for (const line of lines.slice(1)) {
    const f = line.split('\t');
    if (f.length >= 5) out.push({ file: f[2], expectation: f[4] });
  }
  return out;
}

function load(file: string): Buffer {
  return readFileSync(join(TORTURE, file));
}

function parse(file: string): SipMessage {
  const b = load(file);
  return parseSipMessage(b, 0, b.length);
}

function header(m: SipMessage, name: string): string[] {
  return m.headers.filter((h) => h.name === name).map((h) => h.value);
}

/** Semantics-only or uncertain oracles (corpus README section 5): must not crash, nothing more. */
const MUST_NOT_CRASH_ONLY = new Set(['rfc4475/baddate.dat', 'rfc4475/badbranch.dat', 'rfc4475/regescrt.dat']);

test('every torture message parses without throwing and lengths stay in bounds', { skip }, () => {
  const all = cases();
  assert.equal(all.length, 62);
  for (const c of all) {
    const b = load(c.file);
    assert.equal(looksLikeSip(b, 0, b.length), true, `${c.file}: recognised as SIP`);
    const m = parseSipMessage(b, 0, b.length);
    assert.ok(m.length > 0 && m.length <= b.length, `${c.file}: length ${m.length}`);
    assert.equal(parseSipDatagram(b, 0, b.length).length, 1, `${c.file}: one message per datagram`);
    assert.equal(typeof sipSummary(m), 'string');
  }
});

test('expectations: INVALID messages carry an error, VALID ones none', { skip }, () => {
  for (const c of cases()) {
    if (MUST_NOT_CRASH_ONLY.has(c.file)) continue;
    const m = parse(c.file);
    const x = c.expectation;
    if (x.startsWith('VALID') || x === 'INVALID-STRICT / MUST-ACCEPT' || x === 'INVALID (may be tolerated)') {
      assert.equal(m.error, undefined, `${c.file} (${x}) should parse cleanly, got: ${m.error}`);
    } else if (x.startsWith('INVALID')) {
      assert.ok(m.error !== undefined, `${c.file} (${x}) should be flagged`);
    } else {
      assert.fail(`unknown expectation ${x}`);
    }
  }
});

test('uncertain oracles (baddate, badbranch, regescrt) parse into a message', { skip }, () => {
  for (const f of MUST_NOT_CRASH_ONLY) {
    const m = parse(f);
    assert.ok(m.method !== undefined && m.callId !== null, f);
  }
});

test('wsinv: folding, odd LWS, compact forms, leading zeros', { skip }, () => {
  const m = parse('rfc4475/wsinv.dat');
  assert.equal(m.method, 'INVITE');
  assert.equal(m.requestUri, 'sip:vivekg@chair-dnrc.example.com;unknownparam');
  assert.equal(m.callId, 'wsinv.ndaksdj@192.0.2.1');
  assert.deepEqual(m.cseq, { seq: 9, method: 'INVITE' });
  assert.equal(m.toTag, '1918181833n');
  assert.equal(m.fromTag, '98asjd8');
  assert.equal(m.branch, '390skdjuw');
  assert.deepEqual(header(m, 'subject'), ['']);
  assert.deepEqual(header(m, 'newfangledheader'), ['newfangled value continued newfangled value']);
  assert.deepEqual(header(m, 'max-forwards'), ['0068']);
  assert.equal(header(m, 'via').length, 2);
  assert.equal(header(m, 'contact').length, 1, '"m:" is Contact');
  assert.equal(m.contentLength, 150);
  assert.equal(m.contentType, 'application/sdp');
  assert.equal(m.body?.length, 150);
  assert.equal(m.sdp?.address, '192.0.2.4');
  assert.deepEqual(
    m.sdp?.media.map((x) => [x.media, x.port, x.payloadTypes]),
    [
      ['audio', 49217, [0, 12]],
      ['video', 3227, [31]],
    ],
  );
});

test('intmeth: odd method token and UTF-8 header value', { skip }, () => {
  const m = parse('rfc4475/intmeth.dat');
  assert.equal(m.method, "!interesting-Method0123456789_*+`.%indeed'~");
  assert.equal(m.cseq?.method, m.method);
  assert.equal(m.cseq?.seq, 139122385);
  assert.equal(m.fromTag, "_token~1'+`*%!-.");
  assert.equal(m.callId, 'intmeth.word%ZK-!.*_+\'@word`~)(><:\\/"][?}{');
  assert.deepEqual(header(m, "extensionheader-!.%*+_`'~"), ['\uFEFF大停電']);
});

test('esc01 / esc02: % escapes are kept verbatim', { skip }, () => {
  const a = parse('rfc4475/esc01.dat');
  assert.equal(a.requestUri, 'sip:sips%3Auser%40example.com@example.net');
  assert.equal(a.callId, 'esc01.239409asdfakjkn23onasd0-3234');
  assert.equal(a.contentType, 'application/sdp');
  const b = parse('rfc4475/esc02.dat');
  assert.equal(b.method, 'RE%47IST%45R');
  assert.deepEqual(header(b, 'c%6fntact'), ['<sip:alias2@host2.example.com>']);
  assert.equal(header(b, 'contact').length, 2);
});

test('longreq: long header values survive intact', { skip }, () => {
  const m = parse('rfc4475/longreq.dat');
  assert.equal(m.length, 3515);
  assert.equal(header(m, 'via').length, 34);
  assert.ok(m.callId?.startsWith('longreq.onereally'));
  assert.ok(m.callId?.endsWith('reallylongcallid'));
  assert.equal(m.fromTag?.length, 155);
  assert.ok(m.fromTag?.startsWith('1298298298') && m.fromTag.endsWith('982424'));
  const unknown = m.headers.find((h) => h.name.startsWith('unknown-longlong'));
  assert.ok(unknown !== undefined && unknown.name.endsWith('-name'));
  assert.ok(unknown.value.startsWith('unknown-longlong'));
  assert.equal(m.branch, null, 'top Via (sip33) has no branch');
});

test('dblreq: one REGISTER; the trailing INVITE is ignored extra octets', { skip }, () => {
  const b = load('rfc4475/dblreq.dat');
  const msgs = parseSipDatagram(b, 0, b.length);
  assert.equal(msgs.length, 1);
  const m = msgs[0];
  assert.equal(m.method, 'REGISTER');
  assert.equal(m.contentLength, 0);
  assert.equal(m.body, null);
  const blank = b.indexOf('\r\n\r\n') + 4;
  assert.equal(m.length, blank);
  assert.equal(m.callId, 'dblreq.0ha0isndaksdj99sdfafnl3lk233412');
  assert.equal(m.error, undefined);
});

test('unreason / noreason: UTF-8 and empty reason phrases', { skip }, () => {
  const u = parse('rfc4475/unreason.dat');
  assert.equal(u.status, 200);
  assert.equal(u.reason, '= 2**3 * 5**2 но сто девяносто девять - простое');
  assert.equal(u.toTag, '2229');
  assert.equal(sipSummary(u), `200 ${u.reason} (INVITE)`);
  const n = parse('rfc4475/noreason.dat');
  assert.equal(n.status, 100);
  assert.equal(n.reason, '');
  assert.equal(sipSummary(n), '100 (INVITE)');
});

test('mpart01: multipart content type and binary body by Content-Length', { skip }, () => {
  const m = parse('rfc4475/mpart01.dat');
  assert.equal(m.contentType, 'multipart/mixed');
  assert.deepEqual(header(m, 'content-type'), ['multipart/mixed;boundary=7a9cbec02ceef655']);
  assert.equal(m.body?.length, 553);
  assert.equal(m.sdp, null);
});

test('specific errors are named', { skip }, () => {
  const expect: Array<[string, RegExp]> = [
    ['rfc4475/badinv01.dat', /empty parameter/],
    ['rfc4475/clerr.dat', /Content-Length 9999 exceeds/],
    ['rfc4475/ncl.dat', /Content-Length "-999"/],
    ['rfc4475/scalar02.dat', /CSeq number .* exceeds.*Max-Forwards 300.*Expires/],
    ['rfc4475/scalarlg.dat', /CSeq number.*Retry-After.*Warning code/],
    ['rfc4475/quotbal.dat', /unterminated quoted string/],
    ['rfc4475/ltgtruri.dat', /enclosed in <>/],
    ['rfc4475/lwsruri.dat', /whitespace inside the Request-URI/],
    ['rfc4475/lwsstart.dat', /more than one SP/],
    ['rfc4475/trws.dat', /whitespace at the end of the request line/],
    ['rfc4475/escruri.dat', /escaped headers/],
    ['rfc4475/baddate.dat', /GMT/],
    ['rfc4475/regbadct.dat', /must be enclosed in <>/],
    ['rfc4475/badaspec.dat', /whitespace inside addr-spec/],
    ['rfc4475/baddn.dat', /non-token characters/],
    ['rfc4475/baddn.ersip-variant.dat', /non-token characters/],
    ['rfc4475/badvers.dat', /unsupported SIP version SIP\/7\.0/],
    ['rfc4475/mismatch01.dat', /CSeq method INVITE does not match request method OPTIONS/],
    ['rfc4475/mismatch02.dat', /does not match request method NEWMETHOD/],
    ['rfc4475/bigcode.dat', /not 3 digits/],
    ['rfc4475/insuf.dat', /missing required headers: To, From, Call-ID$/],
    ['rfc4475/multi01.dat', /more than one CSeq.*Call-ID.*To.*From/],
    ['rfc4475/mcl01.dat', /more than one Content-Length/],
    ['rfc5118/ipv6-bad.dat', /IPv6 address in Request-URI host without \[ \]/],
  ];
  for (const [f, re] of expect) {
    const m = parse(f);
    assert.match(m.error ?? '', re, f);
  }
});

test('invalid messages still carry what parsing reached', { skip }, () => {
  const c = parse('rfc4475/clerr.dat');
  assert.equal(c.contentLength, 9999);
  assert.equal(c.body?.length, 154, 'body is what the datagram holds');
  assert.equal(c.length, 498);
  const n = parse('rfc4475/ncl.dat');
  assert.equal(n.contentLength, null);
  assert.equal(n.callId, 'ncl.0ha0isndaksdj2193423r542w35');
  const big = parse('rfc4475/bigcode.dat');
  assert.equal(big.status, 4294967301);
  assert.equal(big.callId?.startsWith('bigcode.'), true);
  const lws = parse('rfc4475/lwsstart.dat');
  assert.equal(lws.requestUri, 'sip:user@example.com');
  assert.equal(lws.version, 'SIP/2.0');
  const mcl = parse('rfc4475/mcl01.dat');
  assert.equal(mcl.contentLength, 13, 'first Content-Length is used');
  const insuf = parse('rfc4475/insuf.dat');
  assert.equal(insuf.sdp?.media.length, 2);
});

test('inv2543: RFC 2543 request without branch, tags, Max-Forwards or Content-Length', { skip }, () => {
  const m = parse('rfc4475/inv2543.dat');
  assert.equal(m.error, undefined);
  assert.equal(m.branch, null);
  assert.equal(m.fromTag, null);
  assert.equal(m.toTag, null);
  assert.equal(m.contentLength, null);
  assert.equal(m.body?.length, 105, 'no Content-Length on a datagram: the rest is the body');
  assert.equal(m.sdp?.media[0].port, 49217);
});

test('rfc5118: IPv6 references', { skip }, () => {
  const good = parse('rfc5118/ipv6-good.dat');
  assert.equal(good.requestUri, 'sip:[2001:db8::10]');
  assert.equal(good.branch, 'z9hG4bKas3-111');
  assert.equal(parse('rfc5118/port-unambiguous.dat').requestUri, 'sip:[2001:db8::10]:5070');
  assert.equal(parse('rfc5118/port-ambiguous.dat').requestUri, 'sip:[2001:db8::10:5070]');
  const delim = parse('rfc5118/via-received-param-with-delim.dat');
  assert.equal(delim.branch, 'z9hG4bKas3-111');
  assert.equal(parse('rfc5118/via-received-param-no-delim.dat').branch, 'z9hG4bKas3');
  const multi = parse('rfc5118/mult-ip-in-header.dat');
  assert.equal(header(multi, 'via').length, 3);
  assert.equal(multi.toTag, '9817--94');
});

test('rfc5118: IPv6 addresses in SDP', { skip }, () => {
  const m = parse('rfc5118/ipv6-in-sdp.dat');
  assert.equal(m.sdp?.address, '2001:db8::20');
  assert.equal(m.sdp?.origin, 'assistant 971731711378798081 0 IN IP6 2001:db8::20');
  assert.deepEqual(
    m.sdp?.media.map((x) => [x.media, x.port, x.address]),
    [
      ['audio', 6000, '2001:db8::20'],
      ['video', 6024, '2001:db8::20'],
    ],
  );
  assert.equal(m.sdp?.media[0].rtpmap[2], 'G726-32/8000');
  // These files' Content-Length counts LF line ends; honouring it cuts the last line short.
  assert.equal(m.contentLength, 241);
  assert.equal(m.sdp?.media[1].rtpmap[107], 'H263-19');

  const mult = parse('rfc5118/mult-ip-in-sdp.dat');
  assert.equal(mult.sdp?.address, null);
  assert.deepEqual(
    mult.sdp?.media.map((x) => x.address),
    ['192.0.2.1', '2001:db8::1'],
  );
  const mapped = parse('rfc5118/ipv4-mapped-ipv6.dat');
  assert.equal(mapped.sdp?.address, '::ffff:192.0.2.2');
  assert.equal(mapped.branch, 'z9hG4bKbh19');
});

// ------------------------------------------------------------ properties

const MUTATION = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 8 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('text' as const),
    at: fc.nat(),
    text: fc.constantFrom('\r\n', '\n', ' ', ':', ';', '"', '<', '>', ',', '\r\n ', 'l: 99\r\n', 'SIP/2.0 ', '\r\n\r\n', '%'),
  }),
);

type Mutation =
  | { kind: 'flip'; at: number; byte: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; n: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'text'; at: number; text: string };

function mutate(src: Uint8Array, muts: Mutation[]): Uint8Array {
  let b = Uint8Array.from(src);
  for (const m of muts) {
    const at = b.length === 0 ? 0 : m.at % (b.length + 1);
    switch (m.kind) {
      case 'flip':
        if (at < b.length) b[at] = m.byte;
        break;
      case 'insert':
      case 'text': {
        const ins = m.kind === 'insert' ? m.bytes : new TextEncoder().encode(m.text);
        const n = new Uint8Array(b.length + ins.length);
        n.set(b.subarray(0, at));
        n.set(ins, at);
        n.set(b.subarray(at), at + ins.length);
        b = n;
        break;
      }
      case 'delete': {
        const n = new Uint8Array(Math.max(0, b.length - Math.min(m.n, b.length - at)));
        n.set(b.subarray(0, at));
        n.set(b.subarray(Math.min(b.length, at + m.n)), at);
        b = n;
        break;
      }
      case 'truncate':
        b = b.subarray(0, at);
        break;
    }
  }
  return b;
}

/** Everything the SIP code offers, on one input; returns nothing, must not throw. */
function exercise(b: Uint8Array, off: number, end: number, splits: number[]): void {
  looksLikeSip(b, off, end);
  const m = parseSipMessage(b, off, end);
  assert.ok(m.length >= 0 && m.length <= Math.max(0, end - off), `length ${m.length} within ${end - off}`);
  if (m.body !== null) assert.ok(m.body.length <= end - off);
  for (const d of parseSipDatagram(b, off, end)) assert.ok(d.length <= end - off);
  sipSummary(m);
  parseSdp(new TextDecoder().decode(b.subarray(off, end)));
  const framer = new SipStreamFramer({ maxBuffer: 2048 });
  let total = 0;
  let p = off;
  for (const s of [...splits.map((x) => off + (x % (end - off + 1))).sort((x, y) => x - y), end]) {
    if (s < p) continue;
    for (const msg of framer.push(b.subarray(p, s))) total += msg.length;
    p = s;
  }
  assert.ok(total <= end - off, 'framed messages never exceed the stream');
}

test('property: random bytes never throw', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), fc.nat(), fc.nat(), fc.array(fc.nat(), { maxLength: 4 }), (b, x, y, splits) => {
      const off = b.length === 0 ? 0 : x % (b.length + 1);
      const end = off + (b.length - off === 0 ? 0 : y % (b.length - off + 1));
      exercise(b, off, end, splits);
    }),
    { numRuns: 2000 },
  );
});

test('property: SIP-shaped random text never throws', () => {
  const line = fc.stringMatching(/^[A-Za-z:;<>" @=,.\t/0-9\r\n-]{0,60}$/);
  fc.assert(
    fc.property(
      fc.constantFrom('INVITE sip:a@b SIP/2.0\r\n', 'SIP/2.0 200 OK\r\n', 'SIP/2.0 1 \r\n', 'X  y  SIP/2.0 \n', ''),
      fc.array(line, { maxLength: 12 }),
      fc.array(fc.nat(), { maxLength: 4 }),
      (start, lines, splits) => {
        const b = new TextEncoder().encode(start + lines.join('\r\n'));
        exercise(b, 0, b.length, splits);
      },
    ),
    { numRuns: 2000 },
  );
});

test('property: mutated torture messages never throw', { skip }, () => {
  const srcs = cases().map((c) => new Uint8Array(load(c.file)));
  fc.assert(
    fc.property(
      fc.nat({ max: srcs.length - 1 }),
      fc.array(MUTATION, { minLength: 1, maxLength: 6 }),
      fc.array(fc.nat(), { maxLength: 5 }),
      (i, muts, splits) => {
        const b = mutate(srcs[i], muts as Mutation[]);
        exercise(b, 0, b.length, splits);
      },
    ),
    { numRuns: 3000 },
  );
});
