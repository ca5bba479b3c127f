// Capture writer, frame builders and the bundled demo capture.
//
// Checksums are verified with an implementation written here (not the
// builder's), and everything the writers produce is read back by tshark when
// it is installed: tshark is the independent reader the files must satisfy.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  buildIpFrame,
  buildTcpFrame,
  buildUdpFrame,
  fragmentIpv4,
  heartbeatPayload,
  parseIpv6,
  rtpPayload,
  sdpBody,
  sipRequest,
  sipResponse,
  tcpSynOptions,
  udpSegment,
  type EthernetSpec,
} from '../src/writer/frame-builder.js';
import { ETH_FIELD, ETH_HEADER_LEN, ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_QINQ, ETHERTYPE_VLAN, VLAN_TAG_LEN } from '../dissectors/link.js';
import { IPV4_FIELD, IPV4_MIN_HEADER_LEN as IPV4_HEADER_LEN } from '../dissectors/ipv4.js';
import { IPV6_FIELD, IPV6_HEADER_LEN } from '../dissectors/ipv6.js';
import { IPPROTO_UDP, UDP_FIELD, UDP_HEADER_LEN } from '../dissectors/udp.js';
import { IPPROTO_TCP, TCP_FIELD } from '../dissectors/tcp.js';
import { RTP_FIELD, RTP_HEADER_LEN } from '../dissectors/rtp.js';
import { HEARTBEAT_PAYLOAD_LEN } from '../dissectors/mds-heartbeat.js';
import { internetChecksum } from '../dissectors/wire.js';
import {
  LINKTYPE_ETHERNET,
  LINKTYPE_RAW,
  PCAP_MAGIC_MICRO,
  PCAP_MAGIC_NANO,
  PcapngWriter,
  PcapWriter,
  type Endianness,
  type TimestampPrecision,
} from '../src/writer/pcap-writer.js';
import { writeDemoCapture, demoMarkdown, writeMixedCapture, type DemoFacts } from '../captures/make-captures.js';
import { TCP_ACK, TCP_PSH, TCP_SYN } from '../dissectors/types.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DEMO_PCAP = join(ROOT, 'captures', 'demo.pcap');
const DEMO_MD = join(ROOT, 'captures', 'demo.md');

const HAVE_TSHARK = spawnSync('tshark', ['-v'], { encoding: 'utf8' }).status === 0;
const NO_TSHARK = 'tshark is not installed: read-back assertions skipped';

function tshark(args: string[]): string {
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  assert.equal(r.status, 0, `tshark ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

function tsharkRows(file: string, fields: string[], extra: string[] = []): string[][] {
  const args = ['-r', file, ...extra, '-T', 'fields', '-E', 'separator=/t'];
  for (const f of fields) args.push('-e', f);
  return tshark(args)
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => l.split('\t'));
}

/** tshark prints frame.time_epoch as "sec.fffffffff"; split it into integers without going through a double. */
function epochParts(s: string): [number, number] {
  const [sec, frac = ''] = s.split('.');
  return [Number(sec), Number(frac.padEnd(9, '0').slice(0, 9))];
}

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'ucprobe-writer-'));
}

// ---------------------------------------------------------------------------
// Independent checksum arithmetic (deliberately naive: word by word, fold at the end)

function refSum(bytes: number[]): number {
  let s = 0;
  for (let i = 0; i < bytes.length; i += 2) s += (bytes[i] << 8) + (bytes[i + 1] ?? 0);
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return s;
}

function refChecksum(bytes: number[]): number {
  return ~refSum(bytes) & 0xffff;
}

function u16(b: Uint8Array, o: number): number {
  return (b[o] << 8) | b[o + 1];
}

/** Recomputes the L4 checksum of a v4/v6 frame (any VLAN tags skipped) with the checksum field zeroed. */
function refL4Checksum(frame: Uint8Array): { stored: number; computed: number; proto: number } {
  let p = ETH_FIELD.ETHERTYPE;
  while (u16(frame, p) === ETHERTYPE_VLAN || u16(frame, p) === ETHERTYPE_QINQ) p += VLAN_TAG_LEN;
  const et = u16(frame, p);
  const ip = p + 2;
  let pseudo: number[];
  let l4: number;
  let proto: number;
  let l4len: number;
  if (et === ETHERTYPE_IPV4) {
    const hl = (frame[ip] & 0x0f) * 4;
    proto = frame[ip + IPV4_FIELD.PROTOCOL];
    l4 = ip + hl;
    l4len = u16(frame, ip + IPV4_FIELD.TOTAL_LENGTH) - hl;
    pseudo = [...frame.subarray(ip + 12, ip + 20), 0, proto, l4len >> 8, l4len & 0xff];
  } else {
    assert.equal(et, ETHERTYPE_IPV6);
    proto = frame[ip + IPV6_FIELD.NEXT_HEADER];
    l4 = ip + IPV6_HEADER_LEN;
    l4len = u16(frame, ip + IPV6_FIELD.PAYLOAD_LENGTH);
    pseudo = [...frame.subarray(ip + 8, ip + 40), 0, 0, l4len >> 8, l4len & 0xff, 0, 0, 0, proto];
  }
  const ckOff = proto === IPPROTO_UDP ? UDP_FIELD.CHECKSUM : TCP_FIELD.CHECKSUM;
  const seg = [...frame.subarray(l4, l4 + l4len)];
  const stored = (seg[ckOff] << 8) | seg[ckOff + 1];
  seg[ckOff] = 0;
  seg[ckOff + 1] = 0;
  if (seg.length % 2) seg.push(0);
  let computed = refChecksum([...pseudo, ...seg]);
  if (proto === IPPROTO_UDP && computed === 0) computed = 0xffff;
  return { stored, computed, proto };
}

const ETH: EthernetSpec = { src: '02:00:0a:00:00:01', dst: '00:00:0c:07:ac:01' };

// ---------------------------------------------------------------------------
// Frame builders

test('IPv4 header checksum matches the RFC 1071 textbook vector', () => {
  // 4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7: the classic worked example.
  const f = buildIpFrame(ETH, { src: '192.168.0.1', dst: '192.168.0.199', ttl: 64, id: 0, df: true }, IPPROTO_UDP, new Uint8Array(0x73 - 20));
  const ip = f.subarray(ETH_HEADER_LEN, ETH_HEADER_LEN + IPV4_HEADER_LEN);
  assert.equal(Buffer.from(ip).toString('hex'), '45000073000040004011b861c0a80001c0a800c7');
  assert.equal(internetChecksum(ip), 0, 'a header including its checksum sums to 0');
});

test('UDP over IPv4 with 802.1Q tags: every field at its named offset, checksums recomputed', () => {
  const payload = heartbeatPayload(120000, 'le');
  const f = buildUdpFrame(
    { ...ETH, vlans: [{ vid: 100, pcp: 5, tpid: 0x88a8 }, { vid: 10, pcp: 3, dei: true }] },
    { src: '10.10.1.11', dst: '10.10.2.11', dscp: 26, ecn: 2, ttl: 128, id: 0xbeef, df: true, options: Uint8Array.of(1, 1, 1) },
    { sport: 39600, dport: 39601, payload },
  );
  assert.equal(u16(f, 12), 0x88a8);
  assert.equal(u16(f, 14), (5 << 13) | 100);
  assert.equal(u16(f, 16), ETHERTYPE_VLAN);
  assert.equal(u16(f, 18), (3 << 13) | 0x1000 | 10);
  assert.equal(u16(f, 20), ETHERTYPE_IPV4);
  const ip = 22;
  assert.equal(f[ip + IPV4_FIELD.VER_IHL], 0x46, 'version 4, IHL 6 (3 option bytes padded to 4)');
  assert.equal(f[ip + IPV4_FIELD.TOS], (26 << 2) | 2);
  assert.equal(u16(f, ip + IPV4_FIELD.TOTAL_LENGTH), 24 + UDP_HEADER_LEN + HEARTBEAT_PAYLOAD_LEN);
  assert.equal(u16(f, ip + IPV4_FIELD.IDENT), 0xbeef);
  assert.equal(u16(f, ip + IPV4_FIELD.FLAGS_FRAG), 0x4000);
  assert.equal(f[ip + IPV4_FIELD.TTL], 128);
  assert.equal(f[ip + IPV4_FIELD.PROTOCOL], IPPROTO_UDP);
  assert.deepEqual([...f.subarray(ip + 20, ip + 24)], [1, 1, 1, 0]);
  const hdr = [...f.subarray(ip, ip + 24)];
  const stored = u16(f, ip + IPV4_FIELD.CHECKSUM);
  hdr[IPV4_FIELD.CHECKSUM] = 0;
  hdr[IPV4_FIELD.CHECKSUM + 1] = 0;
  assert.equal(stored, refChecksum(hdr));
  const udp = ip + 24;
  assert.equal(u16(f, udp + UDP_FIELD.SRC_PORT), 39600);
  assert.equal(u16(f, udp + UDP_FIELD.DST_PORT), 39601);
  assert.equal(u16(f, udp + UDP_FIELD.LENGTH), 12);
  assert.deepEqual([...f.subarray(udp + UDP_HEADER_LEN)], [...payload]);
  const c = refL4Checksum(f);
  assert.equal(c.stored, c.computed);
});

test('UDP and TCP over IPv6: traffic class, flow label, hop limit, pseudo-header checksums', () => {
  const u = buildUdpFrame(ETH, { version: 6, src: 'fd00::10', dst: 'fd00::20', dscp: 24, ecn: 1, flowLabel: 0xabcde, hopLimit: 64 }, { sport: 5060, dport: 5060, payload: Buffer.from('OPTIONS x') });
  assert.equal(u16(u, ETH_FIELD.ETHERTYPE), ETHERTYPE_IPV6);
  const w = new DataView(u.buffer, ETH_HEADER_LEN).getUint32(IPV6_FIELD.VER_TC_FLOW);
  assert.equal(w >>> 28, 6);
  assert.equal((w >>> 20) & 0xff, (24 << 2) | 1);
  assert.equal(w & 0xfffff, 0xabcde);
  assert.equal(u[ETH_HEADER_LEN + IPV6_FIELD.HOP_LIMIT], 64);
  assert.equal(u[ETH_HEADER_LEN + IPV6_FIELD.NEXT_HEADER], IPPROTO_UDP);
  let c = refL4Checksum(u);
  assert.equal(c.stored, c.computed);

  const t = buildTcpFrame(ETH, { version: 6, src: '2001:db8::1', dst: '2001:db8:0:0:1::2' }, { sport: 51234, dport: 5060, seq: 0xfffffff0, ack: 7, flags: TCP_ACK | TCP_PSH, window: 501, payload: Buffer.from('odd length!') });
  c = refL4Checksum(t);
  assert.equal(c.proto, IPPROTO_TCP);
  assert.equal(c.stored, c.computed);
  assert.deepEqual([...parseIpv6('::ffff:10.0.0.1')], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1]);
  assert.throws(() => parseIpv6('1::2::3'));
});

test('TCP over IPv4: seq/ack/flags/window/options and checksum', () => {
  const f = buildTcpFrame(ETH, { src: '10.10.1.11', dst: '10.10.2.11', dscp: 26 }, { sport: 50732, dport: 39610, seq: 123456789, ack: 0, flags: TCP_SYN, window: 64240, options: tcpSynOptions(1460) });
  const tcp = ETH_HEADER_LEN + IPV4_HEADER_LEN;
  const v = new DataView(f.buffer, tcp);
  assert.equal(v.getUint32(TCP_FIELD.SEQ), 123456789);
  assert.equal(f[tcp + TCP_FIELD.DATA_OFFSET] >> 4, 7);
  assert.equal(f[tcp + TCP_FIELD.FLAGS], TCP_SYN);
  assert.equal(v.getUint16(TCP_FIELD.WINDOW), 64240);
  const c = refL4Checksum(f);
  assert.equal(c.stored, c.computed);
});

test('IPv4 fragments carry offsets, MF and the whole datagram between them', () => {
  const ip = { src: '10.20.0.10', dst: '10.20.0.20', id: 4242, dscp: 24 };
  const dgram = udpSegment(ip, { sport: 5060, dport: 5060, payload: new Uint8Array(3000).map((_, i) => i & 0xff) });
  const frags = fragmentIpv4(ETH, ip, IPPROTO_UDP, dgram, 1480);
  assert.equal(frags.length, 3);
  const parts: number[] = [];
  frags.forEach((f, i) => {
    const ff = u16(f, ETH_HEADER_LEN + IPV4_FIELD.FLAGS_FRAG);
    assert.equal((ff & 0x1fff) * 8, i * 1480);
    assert.equal((ff & 0x2000) !== 0, i < 2);
    assert.equal(u16(f, ETH_HEADER_LEN + IPV4_FIELD.IDENT), 4242);
    assert.equal(internetChecksum(f, ETH_HEADER_LEN, ETH_HEADER_LEN + IPV4_HEADER_LEN), 0);
    parts.push(...f.subarray(ETH_HEADER_LEN + IPV4_HEADER_LEN));
  });
  assert.deepEqual(parts, [...dgram]);
});

test('heartbeat payload is exactly one DWORD in the requested byte order', () => {
  assert.deepEqual([...heartbeatPayload(0x01020304, 'le')], [4, 3, 2, 1]);
  assert.deepEqual([...heartbeatPayload(0x01020304, 'be')], [1, 2, 3, 4]);
  assert.deepEqual([...heartbeatPayload(2 ** 32, 'be')], [0, 0, 0, 0], 'a DWORD wraps');
  assert.equal(heartbeatPayload(5, 'le').length, HEARTBEAT_PAYLOAD_LEN);
});

test('RTP header fields', () => {
  const r = rtpPayload({ payloadType: 8, seq: 65536 + 7, timestamp: 2 ** 32 + 160, ssrc: 0xdeadbeef, marker: true }, new Uint8Array(160).fill(0xd5));
  assert.equal(r.length, RTP_HEADER_LEN + 160);
  assert.equal(r[RTP_FIELD.VPXCC], 0x80);
  assert.equal(r[RTP_FIELD.M_PT], 0x80 | 8);
  const v = new DataView(r.buffer);
  assert.equal(v.getUint16(RTP_FIELD.SEQ), 7);
  assert.equal(v.getUint32(RTP_FIELD.TIMESTAMP), 160);
  assert.equal(v.getUint32(RTP_FIELD.SSRC), 0xdeadbeef);
});

test('SIP text: header order, tags, Content-Length in bytes, SDP, IPv6 hosts bracketed', () => {
  const sdp = { address: '10.30.0.101', port: 16384, payloadTypes: [0, 8, 101], ptime: 20 };
  const inv = sipRequest({
    method: 'INVITE',
    requestUri: 'sip:8001@10.20.0.10',
    via: [{ transport: 'UDP', host: '10.30.0.101', port: 5060, branch: 'z9hG4bKabc' }],
    from: { uri: 'sip:1101@10.20.0.10', display: 'Zoë', tag: 'f1' },
    to: { uri: 'sip:8001@10.20.0.10' },
    callId: 'c1@10.30.0.101',
    cseq: { seq: 1, method: 'INVITE' },
    contact: 'sip:1101@10.30.0.101:5060',
    sdp,
  });
  const [head, body] = inv.split('\r\n\r\n');
  const lines = head.split('\r\n');
  assert.equal(lines[0], 'INVITE sip:8001@10.20.0.10 SIP/2.0');
  assert.deepEqual(
    lines.slice(1).map((l) => l.split(':')[0]),
    ['Via', 'Max-Forwards', 'From', 'To', 'Call-ID', 'CSeq', 'Contact', 'Content-Type', 'Content-Length'],
  );
  assert.ok(lines.includes('From: "Zoë" <sip:1101@10.20.0.10>;tag=f1'));
  assert.equal(body, sdpBody(sdp));
  assert.ok(body.includes('m=audio 16384 RTP/AVP 0 8 101\r\n') && body.includes('a=rtpmap:8 PCMA/8000\r\n') && body.includes('c=IN IP4 10.30.0.101\r\n'));
  assert.equal(Number(/Content-Length: (\d+)/.exec(head)?.[1]), Buffer.byteLength(body));

  const ok = sipResponse({ status: 200, via: [{ transport: 'UDP', host: 'fd00::10', port: 5060, branch: 'z9hG4bKx' }], from: { uri: 'sip:ping@[fd00::10]', tag: 'a' }, to: { uri: 'sip:[fd00::20]', tag: 'b' }, callId: 'o1', cseq: { seq: 3, method: 'OPTIONS' } });
  assert.ok(ok.startsWith('SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP [fd00::10]:5060;branch=z9hG4bKx\r\n'));
  assert.ok(ok.endsWith('Content-Length: 0\r\n\r\n'));
});

// ---------------------------------------------------------------------------
// Writers, read back by tshark

interface Probe {
  sec: number;
  nsec: number;
  dscp: number;
  sport: number;
  v6?: boolean;
}

const PROBES: Probe[] = [
  { sec: 1772442000, nsec: 0, dscp: 46, sport: 16384 },
  { sec: 1772442000, nsec: 123456789, dscp: 26, sport: 39600 },
  { sec: 1772442001, nsec: 999999999, dscp: 24, sport: 5060, v6: true },
  { sec: 4294967295, nsec: 1000, dscp: 0, sport: 1 },
];

function probeFrame(p: Probe, pad = 0): Uint8Array {
  const ip = p.v6 ? ({ version: 6, src: 'fd00::10', dst: 'fd00::20', dscp: p.dscp } as const) : { src: '10.0.0.1', dst: '10.0.0.2', dscp: p.dscp };
  return buildUdpFrame(ETH, ip, { sport: p.sport, dport: 9, payload: new Uint8Array(4 + pad) });
}

for (const endian of ['le', 'be'] as Endianness[]) {
  for (const precision of ['us', 'ns'] as TimestampPrecision[]) {
    test(`classic pcap ${endian}/${precision}: header bytes and tshark read-back`, (t) => {
      const dir = tmp();
      try {
        const file = join(dir, 'p.pcap');
        const w = new PcapWriter(file, { endian, precision, snaplen: 80 });
        for (const p of PROBES) w.writePacket(p.sec, p.nsec, probeFrame(p));
        w.writePacket(1772442002, 5, probeFrame(PROBES[0], 100)); // longer than the snaplen: cut, original length kept
        w.close();
        assert.equal(w.packetsWritten, PROBES.length + 1);
        const bytes = readFileSync(file);
        assert.equal(bytes.length, w.bytesWritten);
        const magic = endian === 'le' ? bytes.readUInt32LE(0) : bytes.readUInt32BE(0);
        assert.equal(magic, precision === 'ns' ? PCAP_MAGIC_NANO : PCAP_MAGIC_MICRO);
        if (!HAVE_TSHARK) return t.skip(NO_TSHARK);
        const rows = tsharkRows(file, ['frame.time_epoch', 'ip.dsfield.dscp', 'ipv6.tclass.dscp', 'udp.srcport', 'frame.len', 'frame.cap_len']);
        assert.equal(rows.length, PROBES.length + 1);
        PROBES.forEach((p, i) => {
          const [sec, nsec] = epochParts(rows[i][0]);
          assert.equal(sec, p.sec);
          assert.equal(nsec, precision === 'ns' ? p.nsec : Math.floor(p.nsec / 1000) * 1000);
          assert.equal(Number(rows[i][p.v6 ? 2 : 1]), p.dscp);
          assert.equal(Number(rows[i][3]), p.sport);
        });
        const last = rows[PROBES.length];
        assert.deepEqual([Number(last[4]), Number(last[5])], [probeFrame(PROBES[0], 100).length, 80]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
}

for (const endian of ['le', 'be'] as Endianness[]) {
  test(`pcapng ${endian}: two interfaces (µs Ethernet, ns raw IP), comments, a note block, a frame larger than the buffer`, (t) => {
    const dir = tmp();
    try {
      const file = join(dir, 'p.pcapng');
      const w = new PcapngWriter(file, { endian, comment: 'ucprobe writer test', bufferSize: 4096, interfaces: [{ linkType: LINKTYPE_ETHERNET, name: 'eth0' }] });
      const raw = w.addInterface({ linkType: LINKTYPE_RAW, precision: 'ns', name: 'tun0', description: 'raw IPv4' });
      assert.equal(raw, 1);
      w.writeNote('heartbeat loss starts here');
      w.writeEnhancedPacket(PROBES[0].sec, PROBES[0].nsec, probeFrame(PROBES[0]), { comment: 'first' });
      w.writeEnhancedPacket(PROBES[1].sec, PROBES[1].nsec, probeFrame(PROBES[1]).subarray(ETH_HEADER_LEN), { iface: raw });
      w.writePacket(PROBES[2].sec, PROBES[2].nsec, probeFrame(PROBES[2]));
      w.writeEnhancedPacket(PROBES[3].sec, PROBES[3].nsec, probeFrame(PROBES[3], 9000), { iface: 0, comment: 'jumbo' });
      w.writeNote('end', { copyable: false });
      w.close();
      assert.equal(readFileSync(file).length, w.bytesWritten);
      if (!HAVE_TSHARK) return t.skip(NO_TSHARK);
      // Wireshark 4 shows each Custom Block as a record of its own: two notes + four packets.
      const all = tsharkRows(file, ['frame.number', 'udp.srcport', 'data.data']);
      assert.equal(all.length, 6);
      const notes = all.filter((r) => !r[1]).map((r) => Buffer.from(r[2], 'hex').toString('utf8').replace(/\0+$/, ''));
      assert.deepEqual(notes, ['heartbeat loss starts here', 'end']);
      const rows = tsharkRows(file, ['frame.interface_id', 'frame.time_epoch', 'ip.dsfield.dscp', 'ipv6.tclass.dscp', 'udp.srcport', 'frame.comment', 'frame.len'], ['-Y', 'udp']);
      assert.equal(rows.length, 4);
      const want = [
        { iface: 0, p: PROBES[0], ns: false, comment: 'first' },
        { iface: 1, p: PROBES[1], ns: true, comment: '' },
        { iface: 0, p: PROBES[2], ns: false, comment: '' },
        { iface: 0, p: PROBES[3], ns: false, comment: 'jumbo' },
      ];
      want.forEach((x, i) => {
        const r = rows[i];
        assert.equal(Number(r[0]), x.iface);
        const [sec, nsec] = epochParts(r[1]);
        assert.equal(sec, x.p.sec);
        assert.equal(nsec, x.ns ? x.p.nsec : Math.floor(x.p.nsec / 1000) * 1000);
        assert.equal(Number(r[x.p.v6 ? 3 : 2]), x.p.dscp);
        assert.equal(Number(r[4]), x.p.sport);
        assert.equal(r[5] ?? '', x.comment);
      });
      assert.equal(Number(rows[3][6]), probeFrame(PROBES[3], 9000).length);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('writers refuse bad timestamps and writes after close', () => {
  const dir = tmp();
  try {
    const w = new PcapWriter(join(dir, 'x.pcap'));
    assert.throws(() => w.writePacket(1, 1e9, new Uint8Array(1)), RangeError);
    assert.throws(() => w.writePacket(-1, 0, new Uint8Array(1)), RangeError);
    w.close();
    assert.throws(() => w.writePacket(1, 0, new Uint8Array(1)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------------------
// The bundled demo capture

function demoFacts(): DemoFacts {
  const md = readFileSync(DEMO_MD, 'utf8');
  const m = /```json\n([\s\S]*?)\n```/.exec(md);
  assert.ok(m, 'demo.md has a ```json facts block');
  return JSON.parse(m[1]) as DemoFacts;
}

/** Minimal classic-pcap walk (LE, µs) so the demo checks do not depend on tshark alone. */
function pcapFrames(file: string): Array<{ sec: number; usec: number; data: Uint8Array }> {
  const b = readFileSync(file);
  assert.equal(b.readUInt32LE(0), PCAP_MAGIC_MICRO);
  assert.equal(b.readUInt32LE(20), LINKTYPE_ETHERNET);
  const out: Array<{ sec: number; usec: number; data: Uint8Array }> = [];
  for (let o = 24; o < b.length; ) {
    const cap = b.readUInt32LE(o + 8);
    out.push({ sec: b.readUInt32LE(o), usec: b.readUInt32LE(o + 4), data: b.subarray(o + 16, o + 16 + cap) });
    o += 16 + cap;
  }
  return out;
}

test('demo capture is reproducible: regenerating gives the committed bytes and facts', () => {
  const dir = tmp();
  try {
    const file = join(dir, 'demo.pcap');
    const facts = writeDemoCapture(file);
    assert.ok(readFileSync(file).equals(readFileSync(DEMO_PCAP)), 'captures/demo.pcap is stale: run npm run captures');
    assert.equal(demoMarkdown(facts), readFileSync(DEMO_MD, 'utf8'), 'captures/demo.md is stale: run npm run captures');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('demo capture: time order, size, and every IPv4/UDP/TCP checksum recomputed', () => {
  const facts = demoFacts();
  const frames = pcapFrames(DEMO_PCAP);
  assert.equal(frames.length, facts.packets);
  assert.ok(readFileSync(DEMO_PCAP).length < 1024 * 1024, 'the committed capture stays under 1 MiB');
  let prev = 0;
  for (const f of frames) {
    const t = f.sec * 1e6 + f.usec;
    assert.ok(t >= prev, 'frames are in timestamp order');
    prev = t;
    const et = u16(f.data, ETH_FIELD.ETHERTYPE);
    if (et === ETHERTYPE_IPV4) assert.equal(refChecksum([...f.data.subarray(ETH_HEADER_LEN, ETH_HEADER_LEN + (f.data[ETH_HEADER_LEN] & 15) * 4)]), 0);
    const c = refL4Checksum(f.data);
    assert.equal(c.stored, c.computed);
  }
});

test('demo capture: tshark finds no bad checksum or malformed packet; the only warning is the failover RST', (t) => {
  if (!HAVE_TSHARK) return t.skip(NO_TSHARK);
  const checks = ['-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE'];
  const rows = tsharkRows(DEMO_PCAP, ['frame.number', '_ws.expert.message', '_ws.expert.severity'], [...checks, '-Y', '_ws.expert.severity >= warning']);
  const facts = demoFacts();
  // Wireshark rates "Connection reset (RST)" a warning; the story has exactly one, the failover.
  assert.deepEqual(
    rows.map((r) => [Number(r[0]), r[1]]),
    facts.tcpResets.map((x) => [x.frame, 'Connection reset (RST)']),
  );
  const bad = tshark(['-r', DEMO_PCAP, ...checks, '-Y', '_ws.malformed || ip.checksum.status == 0 || udp.checksum.status == 0 || tcp.checksum.status == 0 || _ws.expert.severity >= error']);
  assert.equal(bad.trim(), '');
});

test('demo capture: tshark agrees with demo.md on packets, DSCP, SIP counts, heartbeats and the RST', (t) => {
  if (!HAVE_TSHARK) return t.skip(NO_TSHARK);
  const facts = demoFacts();

  // Packet count and DSCP histogram.
  const rows = tsharkRows(DEMO_PCAP, ['frame.number', 'ip.dsfield.dscp', 'ipv6.tclass.dscp']);
  assert.equal(rows.length, facts.packets);
  const hist: Record<string, number> = {};
  for (const r of rows) {
    const d = r[1] || r[2];
    hist[d] = (hist[d] ?? 0) + 1;
  }
  assert.deepEqual(hist, facts.dscpHistogram);
  assert.equal(rows.filter((r) => r[2]).length, facts.ipv6Frames);

  // DSCP of RTP per direction: only phone 10.30.0.102's stream is unmarked.
  const rtp = tsharkRows(DEMO_PCAP, ['ip.src', 'udp.srcport', 'ip.dst', 'udp.dstport', 'ip.dsfield.dscp'], ['-Y', 'rtp']);
  assert.equal(rtp.length, facts.framesByApp.rtp);
  const perFlow = new Map<string, Set<string>>();
  for (const r of rtp) {
    const k = `${r[0]}:${r[1]}>${r[2]}:${r[3]}`;
    perFlow.set(k, (perFlow.get(k) ?? new Set()).add(r[4]));
  }
  assert.deepEqual(new Map([...perFlow].map(([k, v]) => [k, [...v]])), new Map(facts.rtp.map((s) => [s.flow, [String(s.dscp)]])));
  assert.deepEqual(facts.rtp.filter((s) => s.dscp === 0).map((s) => s.flow.split(':')[0]), ['10.30.0.102']);

  // SIP statistics.
  const stat = tshark(['-r', DEMO_PCAP, '-q', '-z', 'sip,stat']);
  assert.equal(Number(/Number of SIP messages: (\d+)/.exec(stat)?.[1]), facts.sip.messages);
  assert.equal(Number(/Number of resent SIP messages: (\d+)/.exec(stat)?.[1]), 0);
  const statuses: Record<string, number> = {};
  for (const m of stat.matchAll(/^\s+SIP (\d{3}) .*?:\s+(\d+) Packets/gm)) statuses[m[1]] = Number(m[2]);
  assert.deepEqual(statuses, facts.sip.responses);
  const methods: Record<string, number> = {};
  const section = stat.slice(stat.indexOf('List of SIP Request methods'));
  for (const m of section.matchAll(/^\s+([A-Z]+)\s+:\s+(\d+) Packets/gm)) methods[m[1]] = Number(m[2]);
  assert.deepEqual(methods, facts.sip.requests);

  const callIds = new Set(tsharkRows(DEMO_PCAP, ['sip.Call-ID'], ['-Y', 'sip.Method == "INVITE"']).map((r) => r[0]));
  assert.deepEqual([...callIds].sort(), facts.calls.map((c) => c.callId).sort());

  // Heartbeats, decoded here from the raw payloads: first/last sequence, received, lost, restarts.
  const hb = tsharkRows(DEMO_PCAP, ['frame.number', 'ip.src', 'udp.srcport', 'udp.payload'], ['-Y', 'udp.srcport >= 39500 && udp.srcport <= 39999 && udp.length == 12']);
  assert.equal(hb.length, facts.framesByApp['mds-heartbeat']);
  for (const s of facts.heartbeats) {
    const seqs = hb
      .filter((r) => r[1] === s.src && Number(r[2]) === s.sport)
      .map((r) => {
        const b = Buffer.from(r[3], 'hex');
        return s.byteOrder === 'le' ? b.readUInt32LE(0) : b.readUInt32BE(0);
      });
    let lost = 0;
    let restarts = 0;
    for (let i = 1; i < seqs.length; i++) {
      if (seqs[i] < seqs[i - 1]) restarts++;
      else lost += seqs[i] - seqs[i - 1] - 1;
    }
    assert.deepEqual({ first: seqs[0], last: seqs[seqs.length - 1], received: seqs.length, lost, restarts }, { first: s.firstSeq, last: s.lastSeq, received: s.received, lost: s.lost, restarts: s.restarts.length }, s.name);
  }
  const byName = new Map(facts.heartbeats.map((h) => [h.name, h]));
  assert.deepEqual(byName.get('pair1 B->A')?.gaps.map((g) => [g.missing, g.failover]), [[5, true]]);
  assert.deepEqual(byName.get('pair2 A->B')?.gaps.map((g) => [g.missing, g.failover]), [[4, false]]);
  assert.equal(byName.get('pair2 B->A')?.restarts[0]?.toSeq, 0);
  assert.equal(byName.get('pair1 A->B')?.firstSeq, 120000);

  // The RST: from side A's TCP endpoint to side B's, 30 ms after the fifth missed deadline.
  const rst = tsharkRows(DEMO_PCAP, ['frame.number', 'frame.time_epoch', 'ip.src', 'tcp.srcport', 'ip.dst', 'tcp.dstport'], ['-Y', 'tcp.flags.reset == 1']);
  assert.equal(rst.length, 1);
  const fo = facts.failovers[0];
  assert.equal(facts.failovers.length, 1);
  assert.equal(Number(rst[0][0]), fo.rstFrame);
  assert.equal(`${rst[0][2]}:${rst[0][3]}`, fo.rstSrc);
  assert.equal(`${rst[0][4]}:${rst[0][5]}`, fo.rstDst);
  assert.ok(fo.rstSrc.startsWith('10.10.1.') && fo.rstDst.startsWith('10.10.2.'));
  const us = (e: string): number => {
    const [s, n] = epochParts(e);
    return s * 1e6 + n / 1000;
  };
  assert.equal(us(rst[0][1]), us(fo.rstEpoch));
  assert.equal(us(fo.fifthMissDeadlineEpoch) - us(fo.lastHeardEpoch), 500_000);
  assert.equal(us(fo.rstEpoch) - us(fo.fifthMissDeadlineEpoch), 30_000);
});

test('mixed capture: exact packet count, time order, clean checksums (pcap and pcapng)', (t) => {
  const dir = tmp();
  try {
    for (const format of ['pcap', 'pcapng'] as const) {
      const file = join(dir, `mixed.${format}`);
      const r = writeMixedCapture(file, { packets: 20_000, heartbeatPairs: 3, calls: 12, seed: 9, format });
      assert.equal(r.packets, 20_000);
      assert.equal(readFileSync(file).length, r.bytes);
      assert.ok(r.framesByApp.rtp > 0 && r.framesByApp['mds-heartbeat'] > 0 && r.framesByApp.sip > 0 && r.framesByApp['mds-tcp'] > 0);
      if (!HAVE_TSHARK) {
        t.skip(NO_TSHARK);
        continue;
      }
      // The RTCP heuristic is switched off: long runs of little-endian heartbeats pass through RTCP-looking values.
      const rows = tsharkRows(file, ['frame.time_epoch'], ['--disable-heuristic', 'rtcp_udp']);
      assert.equal(rows.length, 20_000);
      const bad = tshark(['-r', file, '--disable-heuristic', 'rtcp_udp', '-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-Y', '_ws.malformed || ip.checksum.status == 0 || udp.checksum.status == 0 || tcp.checksum.status == 0 || _ws.expert.severity >= error']);
      assert.equal(bad.trim(), '');
      const times = rows.map((row) => epochParts(row[0]));
      for (let i = 1; i < times.length; i++) {
        const [s0, n0] = times[i - 1];
        const [s1, n1] = times[i];
        assert.ok(s1 > s0 || (s1 === s0 && n1 >= n0), `frame ${i + 1} is not in time order`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
