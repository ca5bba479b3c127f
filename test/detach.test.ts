// detach(): a string kept from a packet's text must not keep the text alive.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { detach } from '../src/common/detach.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function retainedPerString(keep: (s: string) => string): number {
  gc();
  const before = process.memoryUsage().heapUsed;
  const kept: string[] = [];
  for (let i = 0; i < 2000; i++) {
    const message = `INVITE sip:bob@example.com SIP/2.0\r\nCall-ID: ${i}-a84b4c76e66710@pc33.example.com\r\n${'X-Pad: y\r\n'.repeat(400)}`;
    kept.push(keep(message.slice(45, 80)));
  }
  gc();
  const per = (process.memoryUsage().heapUsed - before) / kept.length;
  assert.equal(kept[7], '7-a84b4c76e66710@pc33.example.com\r\n');
  return per;
}

test('detach keeps the characters, not the message they were sliced from', () => {
  const sliced = retainedPerString((s) => s);
  const detached = retainedPerString(detach);
  // A slice holds its ~4 KB message; a detached copy is one string of its own
  // 35 characters (~56 B and the array's slot; a slice of a copy was ~96 B).
  assert.ok(sliced > 3000, `a plain slice retained ${sliced} B`);
  assert.ok(detached < 80, `a detached copy retained ${detached} B`);
  assert.equal(detach(''), '');
  assert.equal(detach('é€😀'), 'é€😀');
});
