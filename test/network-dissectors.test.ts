// The link, IP and transport dissectors on known bytes, and the names they give.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeFrame } from '../dissectors/frame.js';
import { ipv6ToString, parseIpv6 } from '../dissectors/ipv6.js';
import { Rng } from '../src/generator/rng.js';
import { phbName, parseDscp, ecnName } from '../dissectors/dscp.js';
import { decodeHeartbeat } from '../dissectors/mds-heartbeat.js';
import { tcpFlagString } from '../dissectors/tcp.js';
import { decodeNull, decodeSll, decodeSll2 } from '../dissectors/link.js';
import type { FrameInfo } from '../dissectors/types.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const info = (linkType: number, b: Uint8Array, len = b.length): FrameInfo => ({ frame: 7, tsSec: 1, tsNsec: 2, caplen: b.length, len, linkType, iface: 0 });

// Ethernet / 802.1Q 100 / IPv4 TOS 0x68 (AF31, Not-ECT) / UDP 39501 -> 39501 / LE DWORD 118000
const HEARTBEAT_FRAME = hex(`
  001122334455 66778899aabb 8100 0064 0800
  4568 0020 1234 4000 4011 0000 0a0a010b 0a0a020b
  9a4d 9a4d 000c 0000
  f0cc0100`);

test('Ethernet + 802.1Q + IPv4 + UDP heartbeat decodes every field', () => {
  const r = decodeFrame(info(1, HEARTBEAT_FRAME), HEARTBEAT_FRAME);
  assert.equal(r.error, null);
  assert.deepEqual(r.vlans, [100]);
  assert.equal(r.ip?.src, '10.10.1.11');
  assert.equal(r.ip?.dst, '10.10.2.11');
  assert.equal(r.ip?.dscp, 26);
  assert.equal(r.ip?.ecn, 0);
  assert.equal(r.ip?.id, 0x1234);
  assert.equal(r.ip?.ttl, 64);
  assert.equal(r.transport, 'udp');
  assert.equal(r.sport, 39501);
  assert.equal(r.dport, 39501);
  assert.equal(r.app, 'mds-heartbeat');
  assert.deepEqual(r.hb, { seq: 118000, byteOrder: 'le' });
});

test('a heartbeat outside the configured ports is plain UDP to the pure dissector', () => {
  const r = decodeFrame(info(1, HEARTBEAT_FRAME), HEARTBEAT_FRAME, { heartbeatPorts: [40000, 40010] });
  assert.equal(r.app, null);
  assert.equal(r.transport, 'udp');
});

test('snaplen-cut frame: decoded as far as it goes, marked truncated, no error', () => {
  const cut = HEARTBEAT_FRAME.subarray(0, 46);
  const r = decodeFrame(info(1, cut, HEARTBEAT_FRAME.length), cut);
  assert.equal(r.truncated, true);
  assert.equal(r.ip?.dscp, 26);
  assert.equal(r.sport, 39501);
  assert.equal(r.error, null);
});

test('IPv4 total length beyond the captured bytes (not snaplen) is an error, not a throw', () => {
  const b = HEARTBEAT_FRAME.slice(0, 44);
  const r = decodeFrame(info(1, b), b);
  assert.match(r.error ?? '', /ipv4: total length 32 exceeds/);
});

test('IPv6 traffic class: DSCP EF with ECT(0), and UDP inside', () => {
  // IPv6, tclass 0xba (EF<<2 | ECT(0)), flow 0, payload 12, next UDP, hop 64, fd00::10 -> fd00::20
  const b = hex(`6ba00000 000c 11 40 fd000000000000000000000000000010 fd000000000000000000000000000020
    13c4 13c4 000c 0000 00000001`);
  const r = decodeFrame(info(101, b), b);
  assert.equal(r.error, null);
  assert.equal(r.ip?.version, 6);
  assert.equal(r.ip?.src, 'fd00::10');
  assert.equal(r.ip?.dscp, 46);
  assert.equal(ecnName(r.ip!.ecn), 'ECT(0)');
  assert.equal(r.dport, 5060);
});

test('IPv6 text form follows RFC 5952', () => {
  const cases: Array<[string, string]> = [
    ['20010db8000000000000000000000001', '2001:db8::1'],
    ['00000000000000000000000000000001', '::1'],
    ['00000000000000000000000000000000', '::'],
    ['20010db8000000010000000000000001', '2001:db8:0:1::1'],
    ['20010db8000000000001000000000001', '2001:db8::1:0:0:1'],
    ['00000000000000000000ffffc0000201', '::ffff:192.0.2.1'],
    ['20010db8aaaabbbbccccddddeeeeffff', '2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff'],
  ];
  for (const [h, want] of cases) assert.equal(ipv6ToString(hex(h), 0), want);
});

test('IPv6 text of many addresses, each formatted twice in another order: the cache of recent texts never answers for another address', () => {
  // Over a cache of 1024 slots: four families of 1500 addresses alike but for one of their four words, one family
  // after the other (slots are shared within a family), then 2000 random ones (zero runs; fe01:... has a first word negative as int32).
  const rnd = new Rng(5);
  const family = Array.from({ length: 6000 }, (_, i) => {
    const b = Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    const word = Math.floor(i / 1500);
    b.set([(i % 1500) >> 8, i & 255], word * 4 + 2);
    return b;
  });
  const random = Array.from({ length: 2000 }, (_, i) => {
    const b = new Uint8Array(16);
    b.set([i % 7 === 0 ? 0xfe : 0x20, 0x01, 0x0d, 0xb8]);
    for (let k = 4; k < 16; k++) b[k] = rnd.float() < 0.4 ? 0 : rnd.int(0, 255);
    return b;
  });
  const addrs = [...family, ...random];
  const first = addrs.map((b) => ipv6ToString(b, 0));
  const again = addrs.map((_, i) => addrs.length - 1 - i).map((i) => [i, ipv6ToString(addrs[i], 0)] as const);
  for (const [i, text] of again) assert.equal(text, first[i]);
  // The URL parser, given the eight groups in full, writes them by the same RFC 5952 rules (none of these is IPv4-mapped).
  const groups = (b: Uint8Array): string => Array.from({ length: 8 }, (_, g) => ((b[2 * g] << 8) | b[2 * g + 1]).toString(16)).join(':');
  for (let i = 0; i < addrs.length; i++) assert.equal(first[i], new URL(`http://[${groups(addrs[i])}]/`).hostname.slice(1, -1));
});

test('IPv6 text parsed in any form gives the bytes, and null for what is not an address', () => {
  const hexOf = (t: string): string | null => { const b = parseIpv6(t); return b === null ? null : Buffer.from(b).toString('hex'); };
  for (const t of ['2001:db8::1', '2001:DB8:0:0:0:0:0:1', '2001:db8:0::1', '2001:db8::0.0.0.1', '2001:db8::1%eth0']) assert.equal(hexOf(t), '20010db8000000000000000000000001', t);
  assert.equal(hexOf('::'), '0'.repeat(32));
  assert.equal(hexOf('::ffff:192.0.2.1'), '00000000000000000000ffffc0000201');
  for (const bad of ['', ':', '1::2::3', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7::8', '12345::', 'g::1', '::1.2.3', '::256.0.0.1', '10.0.0.1']) assert.equal(parseIpv6(bad), null, bad);
});

test('DSCP names both ways', () => {
  assert.equal(phbName(24), 'CS3');
  assert.equal(phbName(46), 'EF');
  assert.equal(phbName(26), 'AF31');
  assert.equal(phbName(44), 'VOICE-ADMIT');
  assert.equal(phbName(1), 'LE');
  assert.equal(phbName(13), '13');
  assert.equal(parseDscp('ef'), 46);
  assert.equal(parseDscp('cs3'), 24);
  assert.equal(parseDscp('34'), 34);
  assert.equal(parseDscp('64'), null);
  assert.equal(parseDscp('AF99'), null);
});

test('heartbeat byte order: guessed as the smaller reading, or forced', () => {
  assert.deepEqual(decodeHeartbeat(hex('00000005'), 0, 4), { seq: 5, byteOrder: 'be' });
  assert.deepEqual(decodeHeartbeat(hex('05000000'), 0, 4), { seq: 5, byteOrder: 'le' });
  assert.deepEqual(decodeHeartbeat(hex('05000000'), 0, 4, 'be'), { seq: 0x05000000, byteOrder: 'be' });
  assert.equal(decodeHeartbeat(hex('0500000000'), 0, 5), null);
});

test('TCP flags read like tcpdump', () => {
  assert.equal(tcpFlagString(0x02), 'S');
  assert.equal(tcpFlagString(0x12), 'S.');
  assert.equal(tcpFlagString(0x04), 'R');
  assert.equal(tcpFlagString(0x14), 'R.');
  assert.equal(tcpFlagString(0x18), 'P.');
});

test('SLL, SLL2 and null headers name the next layer', () => {
  const sll = hex('0000 0001 0006 001122334455 0000 0800');
  assert.deepEqual(decodeSll(sll, 0, sll.length), { etherType: 0x0800, offset: 16, vlans: null, error: null });
  const sll2 = hex('86dd 0000 00000002 0001 00 06 001122334455 0000');
  assert.deepEqual(decodeSll2(sll2, 0, sll2.length), { etherType: 0x86dd, offset: 20, vlans: null, error: null });
  // AF_INET in little-endian (a Linux/x86 capture) and AF_INET6 = 30 in big-endian (macOS, LINKTYPE_LOOP)
  assert.equal(decodeNull(hex('02000000'), 0, 4).etherType, 0x0800);
  assert.equal(decodeNull(hex('0000001e'), 0, 4).etherType, 0x86dd);
  assert.match(decodeSll(sll, 0, 10).error ?? '', /sll: 10 bytes/);
});

test('IP-in-IP: the inner header is what DSCP and ports belong to', () => {
  const inner = hex('45b8 001c 0001 0000 4011 0000 c0a80001 c0a80002 13c4 13c4 0008 0000');
  const outer = hex('4500 0030 0002 0000 4004 0000 0a000001 0a000002');
  const b = new Uint8Array([...outer, ...inner]);
  const r = decodeFrame(info(101, b), b);
  assert.equal(r.error, null);
  assert.equal(r.outerIp?.length, 1);
  assert.equal(r.outerIp?.[0].dscp, 0);
  assert.equal(r.ip?.dscp, 46);
  assert.equal(r.ip?.src, '192.168.0.1');
  assert.equal(r.dport, 5060);
});
