// SIP over TLS and over WebSocket: the TLS record and WebSocket frame
// dissectors on bytes (parse(emit(x)) for WebSocket), a SIP WebSocket
// connection written by the project's writer (the upgrade, masked client
// frames, a fragmented answer, a ping, a message cut across segments) read
// as tshark reads it, and real TLS by openssl on loopback in a network
// namespace: the 5061 flow is sip-tls in the protocol counts, the DSCP
// application table and the audit, the TLS on 4433 beside it is not.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_SYN } from '../dissectors/types.js';
import { startsTlsHandshake, tlsRecordHeader } from '../dissectors/tls.js';
import { WS_BINARY, WS_CLOSE, WS_CONTINUATION, WS_PING, WS_TEXT, wsFrameHeader, wsPayload, wsUpgradeOf } from '../dissectors/websocket.js';
import { buildTcpFrame, parseIpv4, sipBytes, sipRequest, sipResponse } from '../src/writer/frame-builder.js';
import { PcapWriter } from '../src/writer/pcap-writer.js';
import { wsFrame, wsUpgradeRequest, wsUpgradeResponse } from '../src/writer/websocket.js';
import { analyzeFile } from '../src/analysis/analyze.js';
import { hasTshark, runCli, tshark } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'ucprobe-tlsws-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

test('TLS record headers: a handshake opens a stream; text, bad versions and empty records are not TLS', () => {
  const hello = Uint8Array.of(0x16, 0x03, 0x01, 0x01, 0x28, 0x01);
  assert.deepEqual(tlsRecordHeader(hello, 0, hello.length), { contentType: 22, version: 0x0301, length: 0x128 });
  assert.equal(startsTlsHandshake(hello, 0, hello.length), true);
  const appData = Uint8Array.of(0x17, 0x03, 0x03, 0x00, 0x50);
  assert.equal(startsTlsHandshake(appData, 0, 5), false);
  assert.equal(tlsRecordHeader(appData, 0, 5)?.contentType, 23);
  for (const bad of [sipBytes('INVITE sip:a@b SIP/2.0\r\n'), Uint8Array.of(0x16, 0x02, 0x00, 0x00, 0x10), Uint8Array.of(0x16, 0x03, 0x03, 0x00, 0x00), Uint8Array.of(0x16, 0x03, 0x03, 0x48, 0x01), Uint8Array.of(0x16, 0x03)]) {
    assert.equal(tlsRecordHeader(bad, 0, bad.length), null, Buffer.from(bad).toString('hex'));
  }
});

test('WebSocket frames: parse(emit(x)) for 7, 16 and 64-bit lengths, masked and not; bad headers named; the upgrade read', () => {
  const mask = Uint8Array.of(0x37, 0xfa, 0x21, 0x3d);
  for (const n of [0, 5, 125, 126, 65535, 65536]) {
    for (const m of [undefined, mask]) {
      const payload = Uint8Array.from({ length: n }, (_, i) => (i * 7) & 0xff);
      const f = wsFrame({ opcode: WS_BINARY, fin: n !== 5, mask: m, payload });
      const h = wsFrameHeader(f, 0, f.length);
      assert.ok(h !== null && h.error === undefined);
      assert.deepEqual([h.opcode, h.fin, h.payloadLength, h.headerLength + n], [WS_BINARY, n !== 5, n, f.length]);
      assert.deepEqual(h.mask === null ? null : [...h.mask], m === undefined ? null : [...m]);
      assert.deepEqual(wsPayload(f, 0, h), payload);
      // Cut anywhere inside the header: not yet a frame.
      assert.equal(wsFrameHeader(f, 0, h.headerLength - 1), null);
    }
  }
  // RFC 6455 5.7's example: a single-frame masked text message "Hello".
  const hello = Uint8Array.of(0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58);
  assert.equal(Buffer.from(wsPayload(hello, 0, wsFrameHeader(hello, 0, hello.length)!)).toString(), 'Hello');
  assert.deepEqual(wsFrame({ payload: sipBytes('Hello'), mask }), hello);
  assert.equal(wsFrameHeader(Uint8Array.of(0xc1, 0x00), 0, 2)?.error, 'websocket: reserved bits set');
  assert.equal(wsFrameHeader(Uint8Array.of(0x83, 0x00), 0, 2)?.error, 'websocket: unknown opcode 3');
  assert.equal(wsFrameHeader(Uint8Array.of(0x09, 0x00), 0, 2)?.error, 'websocket: control frame fragmented or over 125 bytes');
  assert.deepEqual(wsUpgradeOf(wsUpgradeRequest('sip.test').slice(0, -4)), { request: true, protocols: ['sip'] });
  assert.deepEqual(wsUpgradeOf(wsUpgradeResponse().slice(0, -4)), { request: false, protocols: ['sip'] });
  assert.equal(wsUpgradeOf('GET / HTTP/1.1\r\nHost: x'), null);
});

// ---------------------------------------------------------------- SIP over WebSocket, written

const CLIENT = { ip: '10.4.0.1', port: 40000 };
const SERVER = { ip: '10.4.0.2', port: 8080 };

class TcpConversation {
  private readonly seq = { c: 1000, s: 5000 };
  private readonly frames: Uint8Array[] = [];

  private frame(fromClient: boolean, flags: number, payload?: Uint8Array): void {
    const [a, b] = fromClient ? [CLIENT, SERVER] : [SERVER, CLIENT];
    const mac = (ip: string): Uint8Array => Uint8Array.of(0x02, 0, ...parseIpv4(ip));
    const mine = fromClient ? 'c' : 's';
    const theirs = fromClient ? 's' : 'c';
    this.frames.push(buildTcpFrame({ src: mac(a.ip), dst: mac(b.ip) }, { src: a.ip, dst: b.ip, dscp: 24, ttl: 64 }, {
      sport: a.port, dport: b.port, seq: this.seq[mine], ack: this.seq[theirs], flags, window: 65535, payload,
    }));
    this.seq[mine] += (payload?.length ?? 0) + (flags & (TCP_SYN | TCP_FIN) ? 1 : 0);
  }

  handshake(): void {
    this.frame(true, TCP_SYN);
    this.frame(false, TCP_SYN | TCP_ACK);
    this.frame(true, TCP_ACK);
  }

  send(fromClient: boolean, ...parts: Uint8Array[]): void {
    this.frame(fromClient, TCP_ACK | TCP_PSH, Buffer.concat(parts));
  }

  ack(fromClient: boolean): void {
    this.frame(fromClient, TCP_ACK);
  }

  close(): void {
    this.frame(true, TCP_FIN | TCP_ACK);
    this.frame(false, TCP_FIN | TCP_ACK);
    this.frame(true, TCP_ACK);
  }

  write(path: string): void {
    const w = new PcapWriter(path, { precision: 'us' });
    this.frames.forEach((f, i) => w.writePacket(1_800_000_000 + i, 0, f));
    w.close();
  }
}

const mask = (n: number): Uint8Array => Uint8Array.of(0x11 * n, 0x22, 0x33 + n, 0x44);
const via = { transport: 'TCP' as const, host: 'df7jal23ls0d.invalid', branch: 'z9hG4bK56sdasks' };
const from = { uri: 'sip:alice@example.com', tag: 'asdyka899' };
const to = { uri: 'sip:bob@example.com' };
const answered = { ...to, tag: 'bobtag' };
const common = { from, callId: 'asidkj3ss@ws', via: [{ ...via, transport: 'TCP' as const }] };

function wsCapture(): string {
  const c = new TcpConversation();
  c.handshake();
  c.send(true, sipBytes(wsUpgradeRequest('sip-ws.example.com')));
  c.send(false, sipBytes(wsUpgradeResponse()));
  const invite = sipBytes(sipRequest({ ...common, method: 'INVITE', requestUri: 'sip:bob@example.com', to, cseq: { seq: 1, method: 'INVITE' }, contact: 'sip:alice@df7jal23ls0d.invalid;transport=ws' }));
  c.send(true, wsFrame({ mask: mask(1), payload: invite }));
  c.send(false, wsFrame({ payload: sipBytes(sipResponse({ ...common, status: 100, to, cseq: { seq: 1, method: 'INVITE' } })) }));
  // The 200 OK in two frames of one message (text, then a continuation).
  const ok = sipBytes(sipResponse({ ...common, status: 200, to: answered, cseq: { seq: 1, method: 'INVITE' }, contact: 'sip:bob@10.4.0.2:8080;transport=ws' }));
  c.send(false, wsFrame({ fin: false, payload: ok.subarray(0, 100) }), wsFrame({ opcode: WS_CONTINUATION, payload: ok.subarray(100) }));
  // A ping and the ACK in one segment.
  const ack = sipBytes(sipRequest({ ...common, method: 'ACK', requestUri: 'sip:bob@10.4.0.2:8080;transport=ws', to: answered, cseq: { seq: 1, method: 'ACK' } }));
  c.send(true, wsFrame({ opcode: WS_PING, mask: mask(2), payload: sipBytes('hi') }), wsFrame({ mask: mask(3), payload: ack }));
  c.send(false, wsFrame({ opcode: 0xa, payload: sipBytes('hi') }));
  // The BYE cut across two segments, inside its frame header.
  const bye = wsFrame({ mask: mask(4), payload: sipBytes(sipRequest({ ...common, method: 'BYE', requestUri: 'sip:bob@10.4.0.2:8080;transport=ws', to: answered, cseq: { seq: 2, method: 'BYE' } })) });
  c.send(true, bye.subarray(0, 3));
  c.send(true, bye.subarray(3));
  c.send(false, wsFrame({ payload: sipBytes(sipResponse({ ...common, status: 200, to: answered, cseq: { seq: 2, method: 'BYE' } })) }));
  c.send(true, wsFrame({ opcode: WS_CLOSE, mask: mask(5), payload: Uint8Array.of(0x03, 0xe8) }));
  c.send(false, wsFrame({ opcode: WS_CLOSE, payload: Uint8Array.of(0x03, 0xe8) }));
  c.ack(true);
  c.close();
  const file = join(dir, 'sip-ws.pcap');
  c.write(file);
  return file;
}

const WS_FILE = wsCapture();
if (process.env.KEEP_WS) copyFileSync(WS_FILE, process.env.KEEP_WS);

test('SIP over WebSocket: every SIP message read from the frames, masked or not, as tshark reads them; the call completes', { skip: !hasTshark && 'tshark not installed' }, async () => {
  const lines = runCli(['dissect', WS_FILE]).stdout.trimEnd().split('\n');
  const ours = lines.filter((l) => / SIP-WS /.test(l) && !/ len=\d+$/.test(l)).map((l) => l.replace(/^.* SIP-WS CS3 /, ''));
  assert.deepEqual(ours, [
    'INVITE sip:bob@example.com (1 INVITE)', '100 Trying (1 INVITE)', '200 OK (1 INVITE)', 'ACK sip:bob@10.4.0.2:8080;transport=ws (1 ACK)',
    'BYE sip:bob@10.4.0.2:8080;transport=ws (2 BYE)', '200 OK (2 BYE)',
  ]);
  // tshark: the same messages, in the same frames, through its websocket dissector and the sip subprotocol.
  const theirs = tshark(['-r', WS_FILE, '-Y', 'sip', '-T', 'fields', '-e', 'frame.number', '-e', 'sip.Method', '-e', 'sip.Status-Code']);
  const frames = lines.map((l, i) => [i + 1, l] as const).filter(([, l]) => / SIP-WS /.test(l) && !/ len=\d+$/.test(l)).map(([n]) => n);
  assert.deepEqual(theirs.map((l) => Number(l.split('\t')[0])), frames);
  assert.deepEqual(theirs.map((l) => l.split('\t').slice(1).join('')), ['INVITE', '100', '200', 'ACK', 'BYE', '200']);
  // Every segment with payload is of the SIP WebSocket: as many as tshark's tcp.len > 0.
  const report = await analyzeFile(WS_FILE);
  assert.equal(report.protocols.sipWs, tshark(['-r', WS_FILE, '-Y', 'tcp.len > 0']).length);
  assert.equal(report.protocols.sipWs, 12);
  assert.equal(tshark(['-r', WS_FILE, '-Y', 'websocket']).length, 9, 'tshark: segments with a WebSocket frame ending in them (the BYE in the second of its two)');
  assert.deepEqual(Object.keys(report.dscp), ['other-tcp', 'sip-ws']);
  assert.equal(report.sipAnalysis.calls.total, 1);
  const call = report.sipAnalysis.calls.calls[0];
  assert.deepEqual([call.state, call.code, call.ackMs, call.noAck], ['completed', 200, 1000, null]);
  assert.deepEqual(report.sip.requests, { INVITE: 1, ACK: 1, BYE: 1 });
  const audit = report.dscpAudit.flows.map((f) => [f.flow, f.app, f.class, f.verdict]);
  assert.deepEqual(audit, [['10.4.0.1:40000>10.4.0.2:8080', 'sip-ws', 'sip', 'ok'], ['10.4.0.2:8080>10.4.0.1:40000', 'sip-ws', 'sip', 'ok']]);
});

// ---------------------------------------------------------------- SIP over TLS, by openssl

const haveTls = ['openssl', 'tcpdump', 'unshare'].every((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status === 0) && process.getuid?.() === 0;

test('SIP over TLS on 5061 (openssl on loopback): sip-tls in the counts, the DSCP table and the audit; TLS on 4433 stays other-tcp', { skip: !haveTls && 'needs openssl, tcpdump, unshare and root', timeout: 30_000 }, async () => {
  const cert = join(dir, 'c.pem');
  const key = join(dir, 'k.pem');
  assert.equal(spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-subj', '/CN=sip.test', '-days', '2'], { stdio: 'ignore' }).status, 0);
  const file = join(dir, 'tls.pcap');
  const script = join(dir, 'tls.sh');
  // A network namespace of its own: its loopback carries only these two connections.
  writeFileSync(script, `set -e
ip link set lo up
tcpdump -i lo --immediate-mode -U -nn -w ${file} 'tcp port 5061 or tcp port 4433' 2>${dir}/td.err &
TD=$!
for i in $(seq 50); do grep -q listening ${dir}/td.err 2>/dev/null && break; sleep 0.1; done
openssl s_server -quiet -accept 5061 -cert ${cert} -key ${key} >/dev/null 2>&1 &
S1=$!
openssl s_server -quiet -accept 4433 -cert ${cert} -key ${key} >/dev/null 2>&1 &
S2=$!
for i in $(seq 50); do [ $(ss -ltn | grep -c -e ':5061 ' -e ':4433 ') -ge 2 ] && break; sleep 0.1; done
(printf 'OPTIONS sip:x@sip.test SIP/2.0\\r\\nContent-Length: 0\\r\\n\\r\\n'; sleep 0.5) | timeout 5 openssl s_client -quiet -connect 127.0.0.1:5061 >/dev/null 2>&1 || true
(printf 'GET / HTTP/1.0\\r\\n\\r\\n'; sleep 0.5) | timeout 5 openssl s_client -quiet -connect 127.0.0.1:4433 >/dev/null 2>&1 || true
sleep 0.3
kill $S1 $S2 || true
kill -INT $TD; wait $TD || true
`);
  const run = spawnSync('unshare', ['-n', 'sh', script], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(run.status, 0, run.stderr);
  const report = await analyzeFile(file);
  const payload5061 = hasTshark ? tshark(['-r', file, '-Y', 'tcp.port == 5061 && tcp.len > 0']).length : null;
  const tls5061 = hasTshark ? tshark(['-r', file, '-Y', 'tcp.port == 5061 && tls']).length : null;
  assert.ok(report.protocols.sipTls >= 4, `a handshake both ways and data: ${report.protocols.sipTls}`);
  if (payload5061 !== null) {
    assert.equal(report.protocols.sipTls, payload5061);
    // tshark names the segment that completes a record: one cut across segments counts once there.
    assert.ok(tls5061! > 0 && tls5061! <= report.protocols.sipTls, `tshark: ${tls5061} segments ending a TLS record`);
  }
  const tcp4433 = hasTshark ? tshark(['-r', file, '-Y', 'tcp.port == 4433']).length : 0;
  const all = report.protocols.tcp;
  assert.deepEqual(report.dscp['sip-tls'], { 0: report.protocols.sipTls });
  assert.equal(report.dscp['other-tcp'][0], all - report.protocols.sipTls);
  if (hasTshark) assert.ok(tcp4433 > 0, `TLS on 4433 captured: ${tshark(["-r", file]).join("\n")}`);
  assert.equal(report.sip.messages, 0, 'sealed: nothing read');
  const flows = report.dscpAudit.flows.map((f) => [f.flow.includes(':5061') ? '5061' : '4433', f.app, f.class]);
  assert.deepEqual(flows.sort(), [['4433', null, 'best-effort'], ['4433', null, 'best-effort'], ['5061', 'sip-tls', 'sip'], ['5061', 'sip-tls', 'sip']]);
  const text = runCli(['analyze', file]).stdout;
  assert.match(text, /\n {2}sip-tls +\d+\n/);
  assert.match(text, /DSCP by application\n {2}application +marking \(packets\)\n {2}other-tcp +CS0\(0\)×\d+\n {2}sip-tls +CS0\(0\)×\d+/);
  assert.match(runCli(['dissect', file]).stdout, / 127\.0\.0\.1:\d+ > 127\.0\.0\.1:5061 SIP-TLS CS0 encrypted len=\d+\n/);
});

test('random bytes never make the TLS, WebSocket or SIP-stream readers throw', async () => {
  const fc = (await import('fast-check')).default;
  const { openSipTcpStream } = await import('../src/reassembly/sip-tcp-stream.js');
  const upgrade = sipBytes(wsUpgradeRequest('x'));
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 6 }), fc.boolean(), (first, rest, ws) => {
    tlsRecordHeader(first, 0, first.length);
    const h = wsFrameHeader(first, 0, first.length);
    if (h !== null && h.error === undefined && h.headerLength + h.payloadLength <= first.length) wsPayload(first, 0, h);
    const head = ws ? Buffer.concat([upgrade, first]) : first;
    const s = openSipTcpStream(head, true, 40000, 5061);
    if (s === null) return;
    for (const chunk of [head, ...rest]) for (const m of s.push(chunk)) assert.equal(typeof m.length, 'number');
    s.gap();
    s.push(first);
  }), { numRuns: 2000 });
});
