// The bench's cluster-shaped mix (test/bench/cluster-mix.ts) has the shape it
// claims, counted by tcpdump and tshark rather than by its own writer: per 10
// packets 6 RTP, 2 heartbeats, 1 SIP message, 1 TCP segment (each share
// within 1 %), every TCP header 32 bytes, timestamps never going back; SIP
// counts per method and status as tshark's `-z sip,stat` gives them and as
// ucprobe gives them; every RTP stream announced by an SDP (by ucprobe and by
// tshark, which only decodes RTP an SDP set up); 4 heartbeat streams, no loss.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeClusterMix, type ClusterMixSummary } from './bench/cluster-mix.js';
import { hasTshark, runCli, tshark, tsharkSipStat } from './helpers.js';

const PACKETS = 20_000;
const dir = mkdtempSync(join(tmpdir(), 'ucprobe-cluster-mix-'));
const file = join(dir, 'cluster-mix-20k.pcap');
const summary: ClusterMixSummary = writeClusterMix(file, PACKETS);
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const hasTcpdump = spawnSync('tcpdump', ['--version'], { stdio: 'ignore' }).status === 0;

/** tcpdump's one-line summaries of the packets `filter` selects (-tt: epoch timestamps first). */
function tcpdump(filter: string): string[] {
  const r = spawnSync('tcpdump', ['-nn', '-tt', '-r', file, filter], { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'ignore'] });
  return r.stdout.split('\n').filter((l) => l.length > 0);
}

const HEARTBEAT = 'udp and portrange 39500-39999 and udp[4:2] = 12';
const SIP = 'udp port 5060';
/** RTP v2, PCMU, a 172-byte datagram (12-byte header + 160 bytes): 180 with the UDP header. */
const RTP = 'udp and not port 5060 and not portrange 39500-39999 and udp[4:2] = 180 and udp[8] & 0xc0 = 0x80 and udp[9] & 0x7f = 0';

test('the writer is deterministic and streams: a shorter file is the longer one cut short', () => {
  const short = join(dir, 'cluster-mix-2k.pcap');
  writeClusterMix(short, 2000);
  const a = readFileSync(short);
  assert.ok(readFileSync(file).subarray(0, a.length).equals(a));
  assert.equal(summary.packets, PACKETS);
});

test('shares per 10 packets: 6 RTP, 2 heartbeats, 1 SIP, 1 TCP (tcpdump, within 1 %)', { skip: !hasTcpdump && 'tcpdump not installed' }, () => {
  const all = tcpdump('');
  assert.equal(all.length, PACKETS);
  const share = (n: number): number => (n / PACKETS) * 100;
  const counts = { rtp: tcpdump(RTP).length, heartbeat: tcpdump(HEARTBEAT).length, sip: tcpdump(SIP).length, tcp: tcpdump('tcp').length };
  assert.equal(counts.rtp + counts.heartbeat + counts.sip + counts.tcp, PACKETS, 'every packet is one of the four');
  assert.deepEqual(counts, summary.byKind);
  for (const [kind, want] of [['rtp', 60], ['heartbeat', 20], ['sip', 10], ['tcp', 10]] as const) {
    assert.ok(Math.abs(share(counts[kind]) - want) <= 1, `${kind}: ${share(counts[kind]).toFixed(2)} %, want ${want} ± 1 %`);
  }
  // Every TCP header is 32 bytes (data offset 8): the timestamps option on every segment.
  assert.equal(tcpdump('tcp and tcp[12] & 0xf0 = 0x80').length, counts.tcp);
  assert.ok(tcpdump('tcp').every((l) => l.includes('options [nop,nop,TS val')));
  // Timestamps never go back, and 200 packets/s make 20 k packets about 100 s.
  const times = all.map((l) => Number(l.slice(0, l.indexOf(' '))));
  assert.ok(times.every((t, i) => i === 0 || t >= times[i - 1]), 'timestamps in order');
  const span = times[times.length - 1] - times[0];
  assert.ok(span > 95 && span < 105, `span ${span} s`);
});

interface AnalyzeJson {
  files: Array<{
    sip: { messages: number; requests: Record<string, number>; responses: Record<string, number> };
    rtp: { totals: { streams: number; lost: number }; streams: Array<{ src: string; dst: string; sport: number; dport: number; packets: number; lost: number; sdp: { announcedBy: string } | null; payloadTypes: Array<{ name: string }> }> };
    heartbeats: { totals: { streams: number; lost: number; failovers: number } };
    sipAnalysis: { calls: { byState: Record<string, number> } };
    dscpAudit: { totals: { violation: number } };
  }>;
}

const analyzed = (): AnalyzeJson['files'][0] => {
  const r = runCli(['analyze', '--json', file]);
  assert.equal(r.status, 0, r.stderr);
  return (JSON.parse(r.stdout) as AnalyzeJson).files[0];
};

test('ucprobe: SIP counts as written, RTP streams all SDP-announced on even ports, 4 heartbeat streams without loss', () => {
  const a = analyzed();
  const written = { ...summary.sip };
  const requests = Object.fromEntries(Object.entries(written).filter(([k]) => !/^\d/.test(k)));
  const responses = Object.fromEntries(Object.entries(written).filter(([k]) => /^\d/.test(k)));
  assert.deepEqual({ messages: a.sip.messages, requests: a.sip.requests, responses: a.sip.responses }, { messages: summary.byKind.sip, requests, responses });
  assert.deepEqual(a.sip.requests, { INVITE: 232, OPTIONS: 532, ACK: 231, BYE: 5 });
  assert.deepEqual(a.sip.responses, { 100: 232, 180: 7, 200: 543, 486: 225 });
  // Two streams per answered call (the 7th call is still ringing when the file ends).
  const { answered, completed, ringing } = a.sipAnalysis.calls.byState;
  assert.deepEqual({ answered, completed, ringing }, { answered: 1, completed: 5, ringing: 1 });
  assert.equal(a.rtp.totals.streams, 2 * (answered + completed));
  assert.equal(a.rtp.totals.lost, 0);
  for (const s of a.rtp.streams) {
    assert.ok(s.sdp?.announcedBy, `stream to ${s.dport} announced by an SDP`);
    assert.equal(s.sport % 2, 0);
    assert.equal(s.dport % 2, 0);
    assert.deepEqual(s.payloadTypes.map((p) => p.name), ['PCMU']);
  }
  assert.equal(a.rtp.streams.reduce((n, s) => n + s.packets, 0), summary.byKind.rtp);
  assert.deepEqual(a.heartbeats.totals, { ...a.heartbeats.totals, streams: 4, lost: 0, failovers: 0 });
  assert.equal(a.sipAnalysis.calls.byState.failed, written['486']);
  // Marked as a cluster marks them: SIP and ICCS CS3, heartbeats AF31, media EF, replication best effort.
  assert.equal(a.dscpAudit.totals.violation, 0);
});


test('tshark: sip,stat counts equal ucprobe\'s; the RTP streams it decodes (only SDP-announced ones) are ucprobe\'s', { skip: !hasTshark && 'tshark not installed' }, () => {
  const a = analyzed();
  assert.deepEqual(tsharkSipStat(file), { messages: a.sip.messages, requests: a.sip.requests, responses: a.sip.responses });
  // rtp,streams rows: "start end src_addr src_port dst_addr dst_port SSRC payload packets ...": tshark sets up RTP from the SDPs it saw.
  const rows = tshark(['-n', '-q', '-r', file, '-z', 'rtp,streams']).map((l) => l.trim().split(/\s+/)).filter((f) => /^0x[0-9A-F]+$/i.test(f[6] ?? ''));
  const theirs = rows.map(([, , src, sport, dst, dport, , , packets]) => `${src}:${sport}>${dst}:${dport} ${packets}`).sort();
  const ours = a.rtp.streams.map((s) => `${s.src}:${s.sport}>${s.dst}:${s.dport} ${s.packets}`).sort();
  assert.deepEqual(theirs, ours);
});
