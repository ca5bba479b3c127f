// SIP over TCP: Content-Length framing of one stream direction.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import type { SipMessage } from '../dissectors/types.js';
import { sipSummary } from '../dissectors/sip.js';
import { SipStreamFramer } from '../src/reassembly/sip-stream-framer.js';
import { CORPUS, needsCorpus, runCli } from './helpers.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { TCP_ACK, TCP_PSH, TCP_SYN } from '../dissectors/types.js';
import { buildTcpFrame, sipBytes, sipRequest, type SipRequestSpec } from '../src/writer/frame-builder.js';
import { PcapWriter } from '../src/writer/pcap-writer.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const bytes = (s: string): Uint8Array => enc.encode(s);

const DBLREQ = join(CORPUS, 'sip-torture', 'rfc4475', 'dblreq.dat');

const BODY = 'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';

function request(cseq: number, body = BODY): string {
  return [
    'INVITE sip:bob@example.com SIP/2.0',
    `Via: SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bK${cseq}`,
    'Max-Forwards: 70',
    'To: <sip:bob@example.com>',
    'From: <sip:alice@example.com>;tag=a1',
    'Call-ID: framer-test@192.0.2.1',
    `CSeq: ${cseq} INVITE`,
    'Content-Type: application/sdp',
    `Content-Length: ${enc.encode(body).length}`,
    '',
    body,
  ].join('\r\n');
}

const OK = [
  'SIP/2.0 200 OK',
  'Via: SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bK1',
  'To: <sip:bob@example.com>;tag=b2',
  'From: <sip:alice@example.com>;tag=a1',
  'Call-ID: framer-test@192.0.2.1',
  'CSeq: 1 INVITE',
  'Content-Length: 0',
  '',
  '',
].join('\r\n');

/** Push each piece through a fresh framer and collect every message. */
function frame(pieces: Array<string | Uint8Array>, f = new SipStreamFramer()): SipMessage[] {
  const out: SipMessage[] = [];
  for (const p of pieces) out.push(...f.push(typeof p === 'string' ? bytes(p) : p));
  return out;
}

test('two messages in one chunk', () => {
  const a = request(1);
  const f = new SipStreamFramer();
  const msgs = frame([a + OK], f);
  assert.equal(msgs.length, 2);
  assert.equal(msgs[0].method, 'INVITE');
  assert.equal(msgs[0].length, bytes(a).length);
  assert.equal(msgs[0].error, undefined);
  assert.equal(dec.decode(msgs[0].body ?? new Uint8Array(0)), BODY);
  assert.equal(msgs[0].sdp?.media[0].port, 4000);
  assert.equal(msgs[1].status, 200);
  assert.equal(msgs[1].error, undefined);
  assert.equal(f.buffered, 0);
  assert.equal(f.garbageBytes, 0);
  assert.equal(f.messages, 2);
});

test('each message keeps its bytes as they were in the stream (raw), whatever the chunking', () => {
  const a = request(3);
  const whole = `\r\n${a}${OK}`;
  for (let cut = 1; cut < whole.length; cut += 37) {
    const msgs = frame([whole.slice(0, cut), whole.slice(cut)]);
    assert.deepEqual(msgs.map((m) => dec.decode(m.raw ?? new Uint8Array(0))), [a, OK], `cut at ${cut}`);
  }
});

test('one message split across three chunks at every pair of points', () => {
  const whole = bytes(request(7));
  const blank = dec.decode(whole).indexOf('\r\n\r\n');
  let checked = 0;
  for (let i = 1; i < whole.length - 1; i++) {
    for (let j = i + 1; j < whole.length; j++) {
      const f = new SipStreamFramer();
      const a = f.push(whole.subarray(0, i));
      const b = f.push(whole.subarray(i, j));
      const c = f.push(whole.subarray(j));
      assert.equal(a.length + b.length, 0, `nothing before the last byte (${i},${j})`);
      assert.equal(c.length, 1, `split ${i},${j}`);
      assert.equal(c[0].cseq?.seq, 7);
      assert.equal(c[0].length, whole.length);
      assert.equal(c[0].error, undefined);
      checked++;
    }
  }
  assert.ok(checked > 10000);
  // The splits above include every cut inside the CRLFCRLF ending the headers.
  assert.ok(blank > 0);
});

test('split inside CRLFCRLF, then the body in its own chunk', () => {
  const s = request(3);
  const k = s.indexOf('\r\n\r\n');
  const msgs = frame([s.slice(0, k + 1), s.slice(k + 1, k + 3), s.slice(k + 3)]);
  assert.equal(msgs.length, 1);
  assert.equal(dec.decode(msgs[0].body ?? new Uint8Array(0)), BODY);
});

test('chunks are copied: reusing the caller buffer does not corrupt messages', () => {
  const whole = bytes(request(5) + OK);
  const shared = new Uint8Array(64);
  const f = new SipStreamFramer();
  const got: SipMessage[] = [];
  for (let p = 0; p < whole.length; p += shared.length) {
    const n = Math.min(shared.length, whole.length - p);
    shared.set(whole.subarray(p, p + n));
    got.push(...f.push(shared.subarray(0, n)));
    shared.fill(0x58);
  }
  assert.equal(got.length, 2);
  assert.equal(dec.decode(got[0].body ?? new Uint8Array(0)), BODY);
  assert.equal(got[0].callId, 'framer-test@192.0.2.1');
  assert.equal(got[1].status, 200);

  // A message completed inside one chunk must not alias that chunk either.
  const chunk = bytes(request(6));
  const [m] = new SipStreamFramer().push(chunk);
  chunk.fill(0);
  assert.equal(dec.decode(m.body ?? new Uint8Array(0)), BODY);
});

test('CRLF keep-alives between messages are skipped and counted', () => {
  const f = new SipStreamFramer();
  const msgs = frame(['\r\n\r\n', OK, '\r\n\r\n', '\r\n', request(2), '\r\n\r\n\r\n\r\n'], f);
  assert.equal(msgs.length, 2);
  assert.equal(f.keepalives, 5);
  assert.equal(f.garbageBytes, 0);
  assert.equal(f.buffered, 0);
  // A ping split between chunks is still just a keep-alive.
  const g = new SipStreamFramer();
  assert.equal(frame(['\r', '\n\r', '\n', OK], g).length, 1);
  assert.equal(g.garbageBytes, 0);
});

test('garbage before a message is skipped and counted', () => {
  const junk = 'this is not SIP\r\nneither is this\r\n\u0000\u0001\u0002\r\n';
  const f = new SipStreamFramer();
  const msgs = frame([junk + OK], f);
  assert.equal(msgs.length, 1);
  assert.equal(msgs[0].status, 200);
  assert.equal(f.garbageBytes, bytes(junk).length);
  // Binary that never sends a line end is dropped as it arrives.
  const g = new SipStreamFramer();
  assert.equal(frame([new Uint8Array([0x80, 0, 1, 2, 3]), new Uint8Array(100), `\n${OK}`], g).length, 1);
  assert.equal(g.garbageBytes, 106);
  assert.equal(g.buffered, 0);
});

test('gap() drops the partial message and resyncs on the next start line', () => {
  const a = request(1);
  const f = new SipStreamFramer();
  assert.deepEqual(f.push(bytes(a.slice(0, 100))), []);
  f.gap();
  assert.equal(f.droppedBytes, 100);
  assert.equal(f.buffered, 0);
  // After the hole: the tail of the lost message, then a whole new one.
  const tail = a.slice(150);
  const msgs = frame([tail + OK], f);
  assert.equal(msgs.length, 1);
  assert.equal(msgs[0].status, 200);
  assert.equal(f.garbageBytes, bytes(tail).length);
  // A gap that lands exactly on a message boundary loses nothing.
  const g = new SipStreamFramer();
  g.gap();
  assert.equal(frame([OK], g).length, 1);
  assert.equal(g.garbageBytes, 0);
});

test('headers that never end are capped and skipped', () => {
  const f = new SipStreamFramer({ maxBuffer: 4096 });
  let out: SipMessage[] = frame(['OPTIONS sip:a@b SIP/2.0\r\n'], f);
  for (let i = 0; i < 200; i++) out = out.concat(f.push(bytes(`X-Filler-${i}: ${'y'.repeat(40)}\r\n`)));
  assert.equal(out.length, 0);
  assert.ok(f.buffered <= 4096 + 64, `buffered ${f.buffered}`);
  assert.ok(f.garbageBytes > 0);
  const after = frame(['\r\n', OK], f);
  assert.equal(after.length, 1);
  assert.equal(after[0].status, 200);
});

test('a body beyond the cap is reported and skipped, even across chunks', () => {
  const body = 'z'.repeat(5000);
  const big = request(9, body);
  const f = new SipStreamFramer({ maxBuffer: 2048 });
  const s = big + OK;
  const msgs = frame([s.slice(0, 700), s.slice(700, 3000), s.slice(3000)], f);
  assert.equal(msgs.length, 2);
  assert.equal(msgs[0].cseq?.seq, 9);
  assert.match(msgs[0].error ?? '', /framing limit/);
  assert.equal(msgs[0].raw, null, 'not held whole: no bytes to hand on');
  assert.equal(dec.decode(msgs[1].raw!), OK);
  assert.equal(msgs[1].status, 200);
  assert.equal(f.garbageBytes, 5000);
});

test('missing or garbled Content-Length on a stream', () => {
  const none = OK.replace('Content-Length: 0\r\n', '');
  const [m] = frame([none]);
  assert.match(m.error ?? '', /Content-Length missing/);
  assert.equal(m.body, null);
  const xyz = frame([OK.replace('Content-Length: 0', 'Content-Length: xyz') + OK]);
  assert.equal(xyz.length, 2, 'an unusable Content-Length frames as 0');
  assert.match(xyz[0].error ?? '', /Content-Length "xyz"/);
  assert.equal(xyz[1].error, undefined);
});

test('RFC 5626 pings and pongs written on their own are keepalives even after garbage or a gap, never garbage nor messages', () => {
  const f = new SipStreamFramer();
  // Garbage ends in a line; the blank line glued to it stays garbage, the ping and pong sent apart are keepalives.
  const msgs = frame(['junk line\r\n\r\n', '\r\n\r\n', '\r\n', OK, '\r\n\r\n'], f);
  assert.equal(msgs.length, 1);
  assert.equal(f.keepalives, 3);
  assert.equal(f.garbageBytes, 'junk line\r\n\r\n'.length);
  const g = new SipStreamFramer();
  g.gap();
  assert.equal(frame(['\r\n\r\n', '\r\n', '\r\n\r\n'], g).length, 0);
  assert.equal(g.keepalives, 3);
  assert.equal(g.garbageBytes, 0);
});

test('LF-only messages frame too', () => {
  const lf = OK.replace(/\r\n/g, '\n');
  const msgs = frame([lf + lf.slice(0, 10), lf.slice(10)]);
  assert.equal(msgs.length, 2);
  assert.equal(msgs[1].length, bytes(lf).length);
});

test('dblreq over a stream is two messages', { skip: needsCorpus || (!existsSync(DBLREQ) && `${DBLREQ} is missing`) }, () => {
  const b = readFileSync(DBLREQ);
  const f = new SipStreamFramer();
  const msgs = f.push(b);
  assert.deepEqual(
    msgs.map((m) => m.method),
    ['REGISTER', 'INVITE'],
  );
  assert.equal(f.keepalives, 1);
  assert.equal(msgs[1].contentLength, 150);
  // That INVITE's Content-Length stops 5 bytes short ("C\r\n\r\n" is left): on a stream that is garbage.
  assert.equal(msgs[0].length + 2 + msgs[1].length + 5, b.length);
  assert.equal(f.garbageBytes, 5);
  assert.equal(f.buffered, 0);
});

test('property: any chunking of a stream yields the same messages', () => {
  const piece = fc.constantFrom(request(1), request(2, ''), request(3, 'x'.repeat(300)), OK, OK.replace(/\r\n/g, '\n'), '\r\n\r\n', '\r\n');
  fc.assert(
    fc.property(fc.array(piece, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 10 }), (pieces, cuts) => {
      const whole = bytes(pieces.join(''));
      const ref = new SipStreamFramer();
      const expected = ref.push(whole).map((m) => [sipSummary(m), m.length, m.error]);
      const f = new SipStreamFramer();
      const got: SipMessage[] = [];
      let p = 0;
      for (const c of [...cuts.map((x) => x % (whole.length + 1)).sort((a, b) => a - b), whole.length]) {
        got.push(...f.push(whole.subarray(p, c)));
        p = c;
      }
      assert.deepEqual(
        got.map((m) => [sipSummary(m), m.length, m.error]),
        expected,
      );
      assert.equal(f.keepalives >= ref.keepalives, true);
      assert.equal(f.garbageBytes, 0);
      assert.equal(f.buffered, 0);
    }),
    { numRuns: 1000 },
  );
});

// ---------------------------------------------------------------- a Content-Length that is not a length

/** A MESSAGE whose Content-Length says `length` over a body of "hello", then an OPTIONS: the body runs into the OPTIONS' start line. */
function gluedPair(length: string): { stream: string; options: string } {
  const spec = (method: string, cseq: number): SipRequestSpec => ({
    method, requestUri: 'sip:bob@192.0.2.2', via: [{ transport: 'TCP', host: '192.0.2.1', port: 5060, branch: `z9hG4bK${cseq}` }],
    from: { uri: 'sip:alice@192.0.2.1', tag: 'a1' }, to: { uri: 'sip:bob@192.0.2.2' }, callId: `cl-${cseq}@192.0.2.1`, cseq: { seq: cseq, method },
  });
  const message = sipRequest({ ...spec('MESSAGE', 1), body: { contentType: 'text/plain', content: 'hello' } }).replace('Content-Length: 5', `Content-Length: ${length}`);
  const options = sipRequest(spec('OPTIONS', 2));
  return { stream: message + options, options };
}

const BAD_LENGTHS = ['99999999999', '-5', 'abc', '99999999'];

test('a Content-Length that is not a length (99999999999, -5, abc, or beyond any body): the message is flagged, the stream resynchronises on the next start line, whatever the chunking', () => {
  for (const length of BAD_LENGTHS) {
    const { stream, options } = gluedPair(length);
    const whole = bytes(stream);
    // Every split point (two chunks), and byte by byte.
    const chunkings: Uint8Array[][] = [[whole], Array.from(whole, (b) => Uint8Array.of(b))];
    for (let cut = 1; cut < whole.length; cut += 7) chunkings.push([whole.subarray(0, cut), whole.subarray(cut)]);
    for (const pieces of chunkings) {
      const f = new SipStreamFramer();
      const msgs = frame(pieces, f);
      const what = `Content-Length ${length}, ${pieces.length} chunks`;
      assert.deepEqual(msgs.map((m) => m.method), ['MESSAGE', 'OPTIONS'], what);
      assert.match(msgs[0].error ?? '', /Content-Length unusable on a stream: the end of the message is unknown; resynchronised on the next start line/, what);
      assert.equal(msgs[1].error, undefined, what);
      assert.equal(dec.decode(msgs[1].raw!), options, what);
      assert.equal(f.garbageBytes, 5, `${what}: "hello" skipped`);
    }
  }
});

test('resynchronising: a status line glued to a body, a start line several lines on, an extension method standing alone', () => {
  const bad = request(1, 'x').replace(/Content-Length: \d+/, 'Content-Length: abc');
  // A status line right after the body's last byte.
  const glued = frame([bad + 'junk' + OK]);
  assert.deepEqual(glued.map((m) => m.status ?? m.method), ['INVITE', 200]);
  // Lines of body, then a request of a method no list knows, on a line of its own.
  const ext = 'FROBNICATE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bK9\r\nCall-ID: e@x\r\nCSeq: 9 FROBNICATE\r\nContent-Length: 0\r\n\r\n';
  const later = frame([bad + 'a\r\nb\r\nc\r\n' + ext]);
  assert.deepEqual(later.map((m) => m.method), ['INVITE', 'FROBNICATE']);
});

test('analyze: SIP over TCP with a Content-Length of 99999999999, -5 or abc counts the real OPTIONS, never a method helloOPTIONS', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'ucprobe-framer-'));
  for (const length of BAD_LENGTHS) {
    const path = join(tmp, `cl-${length}.pcap`);
    const w = new PcapWriter(path, { precision: 'us' });
    const eth = { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' };
    const a = { src: '192.0.2.1', dst: '192.0.2.2', ttl: 64, dscp: 24 };
    const b = { src: '192.0.2.2', dst: '192.0.2.1', ttl: 64, dscp: 24 };
    const { stream } = gluedPair(length);
    const data = sipBytes(stream);
    // The handshake, then the stream in two segments cut inside "hello", as TCP may cut it.
    const cut = stream.indexOf('hello') + 2;
    const frames = [
      buildTcpFrame(eth, a, { sport: 40000, dport: 5060, seq: 100, ack: 0, flags: TCP_SYN, window: 65535 }),
      buildTcpFrame(eth, b, { sport: 5060, dport: 40000, seq: 500, ack: 101, flags: TCP_SYN | TCP_ACK, window: 65535 }),
      buildTcpFrame(eth, a, { sport: 40000, dport: 5060, seq: 101, ack: 501, flags: TCP_ACK, window: 65535 }),
      buildTcpFrame(eth, a, { sport: 40000, dport: 5060, seq: 101, ack: 501, flags: TCP_ACK | TCP_PSH, window: 65535, payload: data.subarray(0, cut) }),
      buildTcpFrame(eth, a, { sport: 40000, dport: 5060, seq: 101 + cut, ack: 501, flags: TCP_ACK | TCP_PSH, window: 65535, payload: data.subarray(cut) }),
    ];
    frames.forEach((f, i) => w.writePacket(1_800_000_000, i * 1000, f));
    w.close();
    const r = runCli(['analyze', '--json', path]);
    assert.equal(r.status, 0, r.stderr);
    const sip = JSON.parse(r.stdout).files[0].sip;
    assert.deepEqual(sip.requests, { MESSAGE: 1, OPTIONS: 1 }, `Content-Length ${length}: ${JSON.stringify(sip)}`);
  }
});
