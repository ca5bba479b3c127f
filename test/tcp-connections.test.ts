// The connection table behind the cluster views (src/cluster/tcp-connections.ts):
// how each connection ends, who reset it, stray segments, ports reused,
// connections seen mid-stream, and the bound on what it holds.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TcpConnections, type TcpConnection } from '../src/cluster/tcp-connections.js';
import { TcpScript, writeFrames, type TimedFrame } from './cluster-fixtures.js';
import { Pipeline } from '../src/pipeline/pipeline.js';
import { readCapture } from '../src/sources/capture-reader.js';

const tmp = mkdtempSync(join(tmpdir(), 'ucprobe-tcpconn-'));
let n = 0;

async function connections(build: (out: TimedFrame[]) => void, flows = 200): Promise<{ ended: TcpConnection[]; table: TcpConnections }> {
  const out: TimedFrame[] = [];
  build(out);
  const file = join(tmp, `c${n++}.pcap`);
  writeFrames(file, out);
  const ended: TcpConnection[] = [];
  const table = new TcpConnections((c) => ended.push(c), () => false, flows);
  // Through the pipeline, as analyze hands records on (payload views valid during the call).
  const pipeline = new Pipeline([table.add]);
  await readCapture(file, pipeline.frame);
  table.finish();
  return { ended, table };
}

test('closed, reset by either side, refused, unanswered, open', async () => {
  const { ended } = await connections((out) => {
    new TcpScript(out, '10.0.0.1', 40000, '10.0.0.2', 80).handshake(0).data(1, true, 10).close(2, false);
    new TcpScript(out, '10.0.0.1', 40001, '10.0.0.2', 80).handshake(0).rst(1, false);
    new TcpScript(out, '10.0.0.1', 40002, '10.0.0.2', 80).handshake(0).rst(1, true);
    new TcpScript(out, '10.0.0.1', 40003, '10.0.0.2', 80).syn(0).refuse(0.001);
    new TcpScript(out, '10.0.0.1', 40004, '10.0.0.2', 80).syn(0).syn(1).syn(3);
    new TcpScript(out, '10.0.0.1', 40005, '10.0.0.2', 80).handshake(0).data(1, false, 5);
  });
  const by = new Map(ended.map((c) => [c.clientPort, c]));
  assert.equal(ended.length, 6);
  assert.deepEqual([by.get(40000)!.end, by.get(40000)!.closedAt! > 0, by.get(40000)!.toServer.bytes], ['closed', true, 10]);
  assert.deepEqual([by.get(40001)!.end, by.get(40001)!.resetBy], ['reset', 'server']);
  assert.deepEqual([by.get(40002)!.end, by.get(40002)!.resetBy], ['reset', 'client']);
  assert.deepEqual([by.get(40003)!.end, by.get(40003)!.resetBy, by.get(40003)!.establishedAt], ['refused', 'server', null]);
  assert.deepEqual([by.get(40004)!.end, by.get(40004)!.syns], ['unanswered', 3]);
  assert.deepEqual([by.get(40005)!.end, by.get(40005)!.toClient.bytes], ['open', 5]);
});

test('a last ACK after the close and a stray RST open nothing; a reused port is a new connection; mid-stream takes the lower port for the server', async () => {
  const { ended } = await connections((out) => {
    const a = new TcpScript(out, '10.0.0.1', 40000, '10.0.0.2', 80);
    a.handshake(0).close(1, true);
    // close() ends with the last ACK, after both FINs: no new connection from it.
    new TcpScript(out, '10.0.0.9', 50000, '10.0.0.2', 80).rst(2, true);
    new TcpScript(out, '10.0.0.1', 40000, '10.0.0.2', 80).handshake(5).rst(6, true);
    // Seen mid-stream: data from the server's side first.
    new TcpScript(out, '10.0.0.3', 45000, '10.0.0.4', 2748).data(1, false, 20);
  });
  assert.deepEqual(ended.map((c) => [c.client, c.clientPort, c.server, c.serverPort, c.end, c.handshakeSeen]), [
    ['10.0.0.1', 40000, '10.0.0.2', 80, 'closed', true],
    ['10.0.0.1', 40000, '10.0.0.2', 80, 'reset', true],
    ['10.0.0.3', 45000, '10.0.0.4', 2748, 'open', false],
  ]);
});

test('bounded by the flow table: when it lets a direction go, its connection is handed over as it stands and counted', async () => {
  // Eight flows: four connections' two directions.
  const { ended, table } = await connections((out) => {
    for (let k = 0; k < 10; k++) new TcpScript(out, '10.0.0.1', 40000 + k, '10.0.0.2', 80).handshake(k);
  }, 8);
  // Oldest first, each as it stood (established, not ended). The table keeps the flows of connections already
  // handed over until its clock comes round to them, and a server direction that sent one packet (its SYN-ACK)
  // has no second chance yet: three connections are still held at the end, not four.
  assert.deepEqual(ended.map((c) => c.clientPort), Array.from({ length: 10 }, (_, k) => 40000 + k));
  assert.equal(table.evicted, 7);
  assert.ok(ended.every((c) => c.end === 'open' && c.establishedAt !== null));
});
