// No dissector throws, whatever the bytes: random frames under every link
// type, and real corpus frames with random bytes flipped or cut short.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeFrame } from '../dissectors/frame.js';
import { findPart } from '../dissectors/multipart.js';
import type { FrameInfo } from '../dissectors/types.js';
import { readCapture } from '../src/sources/capture-reader.js';
import { Pipeline } from '../src/pipeline/pipeline.js';
import { bundledCaptures, corpusCaptures } from './helpers.js';

const LINK_TYPES = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 253, 9999];

function info(linkType: number, len: number): FrameInfo {
  return { frame: 1, tsSec: 0, tsNsec: 0, caplen: len, len, linkType, iface: 0 };
}

test('random bytes under every link type never throw', () => {
  fc.assert(
    fc.property(fc.constantFrom(...LINK_TYPES), fc.uint8Array({ maxLength: 300 }), (lt, bytes) => {
      const rec = decodeFrame(info(lt, bytes.length), bytes);
      assert.equal(rec.frame, 1);
    }),
    { numRuns: 20000 },
  );
});

test('random IPv4/IPv6 packets behind a valid Ethernet header never throw', () => {
  const eth = (type: number) => Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, type >> 8, type & 255]);
  fc.assert(
    fc.property(fc.constantFrom(0x0800, 0x86dd, 0x8100, 0x8864), fc.uint8Array({ maxLength: 200 }), fc.integer({ min: 0, max: 15 }), (type, body, ver) => {
      const b = new Uint8Array(14 + body.length);
      b.set(eth(type));
      b.set(body, 14);
      if (body.length) b[14] = (ver << 4) | (body[0] & 15);
      decodeFrame(info(1, b.length), b);
    }),
    { numRuns: 20000 },
  );
});

/** A few hundred real frames, kept as copies: 400 of each bundled capture, 40 of each corpus capture (when the corpus is here). */
async function sampleFrames(): Promise<Array<{ info: FrameInfo; bytes: Uint8Array }>> {
  const frames: Array<{ info: FrameInfo; bytes: Uint8Array }> = [];
  const bundled = new Set(bundledCaptures());
  for (const f of [...bundled, ...corpusCaptures()]) {
    let n = 0;
    const most = bundled.has(f) ? 400 : 40;
    try {
      await readCapture(f, (i, b) => {
        if (n++ < most) frames.push({ info: { ...i }, bytes: b.slice() });
      });
    } catch {
      // corrupt corpus files are the readers' tests' business
    }
  }
  return frames;
}

test('bundled and corpus frames with bytes flipped or cut short never throw, through the whole pipeline', async () => {
  const frames = await sampleFrames();
  assert.ok(frames.length > 300, `sampled ${frames.length} frames`);
  const pipeline = new Pipeline([]);
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: frames.length - 1 }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
      fc.option(fc.nat()),
      (i, flips, cut) => {
        const { info: fi, bytes } = frames[i];
        const b = bytes.slice();
        for (const [pos, v] of flips) if (b.length) b[pos % b.length] = v;
        const body = cut === null ? b : b.subarray(0, cut % (b.length + 1));
        pipeline.frame({ ...fi, caplen: body.length }, body);
      },
    ),
    { numRuns: 20000 },
  );
  assert.ok(pipeline.stats.frames >= 20000);
});

test('multipart bodies of random parts, delimiters and bytes never throw, and a well-formed SDP part is found', () => {
  const enc = new TextEncoder();
  const line = fc.oneof(fc.constantFrom('--b', '--b--', 'Content-Type: application/sdp', 'Content-Type: multipart/mixed; boundary=b', 'content-type:text/plain', ''), fc.string({ maxLength: 20 }));
  fc.assert(
    fc.property(fc.array(line, { maxLength: 30 }), fc.constantFrom('\r\n', '\n'), fc.uint8Array({ maxLength: 40 }), (lines, eol, junk) => {
      const text = enc.encode(lines.join(eol));
      const body = new Uint8Array(text.length + junk.length);
      body.set(text);
      body.set(junk, text.length);
      findPart(body, 'b', 'application/sdp');
    }),
    { numRuns: 5000 },
  );
  const sdp = 'v=0\r\nc=IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP 0\r\n';
  const found = findPart(enc.encode(`junk\r\n--b\r\nContent-Type: application/sdp\r\n\r\n${sdp}\r\n--b--\r\n`), 'b', 'application/sdp');
  assert.equal(found && new TextDecoder().decode(found), sdp);
});
