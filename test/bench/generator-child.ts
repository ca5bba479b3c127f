// Generator and monitor figures, one run per fresh process (so runs do not
// share a heap or timers), printed as JSON for bench.ts:
//   send <streams> <seconds>   N streams at 100 ms to a sink process: send-time error, datagrams sent/received
//   declare <streams> <seconds> monitor in this process, every stream loses five once: declaration - ideal time
//   watch <streams> <seconds>   `ucprobe monitor` as its own process, N clean streams into it: streams watched,
//                               kernel drops, false failovers, the monitor's CPU
//   sink                        count datagrams on a UDP port until SIGTERM (prints its port first)

import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { generate, type StreamSpec } from '../../src/generator/generate.js';
import { Monitor } from '../../src/monitor/monitor.js';
import { quantile } from '../../src/common/quantile.js';
import { bindUdp } from '../../src/generator/bind-udp.js';

const [mode, streamsArg, secondsArg] = process.argv.slice(2);
const streams = Number(streamsArg);
const seconds = Number(secondsArg);
const INTERVAL_MS = 100;

function specs(port: number, drop: (i: number) => Array<[number, number]> | undefined): StreamSpec[] {
  return Array.from({ length: streams }, (_, i) => ({
    name: `s${i}`, host: '127.0.0.1', port, intervalMs: INTERVAL_MS, startSeq: 0, byteOrder: 'le' as const, phaseMs: (i * INTERVAL_MS) / streams,
    count: Math.round(seconds * 1000 / INTERVAL_MS), impairments: { drop: drop(i) },
  }));
}

async function sink(): Promise<void> {
  const s = createSocket({ type: 'udp4', recvBufferSize: 8 << 20 });
  await bindUdp(s, 0, '127.0.0.1');
  let n = 0;
  s.on('message', () => { n++; });
  process.stdout.write(`${s.address().port}\n`);
  process.once('SIGTERM', () => {
    process.stdout.write(`${n}\n`);
    process.exit(0);
  });
}

async function send(): Promise<void> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), 'sink'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const port = Number((await lines.next()).value);
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  const summary = await generate(specs(port, () => undefined));
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  await new Promise((r) => setTimeout(r, 300));
  child.kill('SIGTERM');
  const received = Number((await lines.next()).value);
  const sent = summary.streams.reduce((n, s) => n + s.sent, 0);
  process.stdout.write(JSON.stringify({
    streams, seconds: summary.seconds, expected: streams * Math.round(seconds * 1000 / INTERVAL_MS), sent, received,
    sendErrorMs: summary.sendErrorMs, cpuPercent: Math.round((cpu.user + cpu.system) / 1e4 / wall),
  }));
}

async function declare(): Promise<void> {
  const declared = new Map<string, number>();
  const vsArrival: number[] = [];
  const monitor = new Monitor({
    port: 0, bind: '127.0.0.1',
    onEvent: (e, at) => {
      if (e.type !== 'failover') return;
      declared.set(`${e.stream}|${e.lastSeq}`, at);
      vsArrival.push((at - (e.lastHeard + 0.55)) * 1000);
    },
  });
  await monitor.start();
  const slots = Math.round(seconds * 1000 / INTERVAL_MS);
  // Each stream loses five once, at its own place in the second half, so declarations spread over time.
  const lastBefore = (i: number): number => Math.floor(slots / 2) + (i * 7) % Math.floor(slots / 2 - 10);
  const sentAt = new Map<string, number>();
  const summary = await generate(specs(monitor.port, (i) => [[lastBefore(i) + 1, lastBefore(i) + 5]]), {
    onSend: (d) => { if (d.seq === lastBefore(Number(d.stream.spec.name.slice(1)))) sentAt.set(`${d.stream.local.port}|${d.seq}`, d.time); },
  });
  monitor.stop();
  const params = { offsetS: 0.1 + 4 * 0.1, graceS: 0.05 };
  const errors: number[] = [];
  for (const [key, at] of declared) {
    const [stream, seq] = key.split('|');
    const sport = stream.split('>')[0].split(':')[1];
    const sent = sentAt.get(`${sport}|${seq}`);
    if (sent !== undefined) errors.push((at - (sent + params.offsetS + params.graceS)) * 1000);
  }
  const stats = (xs: number[]): { p50: number; p99: number; max: number } | null => {
    xs.sort((a, b) => a - b);
    const q = (p: number): number => Math.round(quantile(xs, p) * 1000) / 1000;
    return xs.length ? { p50: q(0.5), p99: q(0.99), max: q(1) } : null;
  };
  process.stdout.write(JSON.stringify({
    streams, failovers: errors.length, expected: streams,
    declareErrorMs: stats(errors),
    declareAfterArrivalMs: stats(vsArrival),
    sendErrorMs: summary.sendErrorMs,
  }));
}

/** The monitor as a user runs it, fed by this process; nothing is lost on purpose, so every failover is false. */
async function watch(): Promise<void> {
  const probe = createSocket('udp4');
  await bindUdp(probe, 0, '127.0.0.1');
  const port = probe.address().port;
  probe.close();
  const bin = fileURLToPath(new URL('../../../bin/ucprobe.js', import.meta.url));
  const mon = spawn(process.execPath, [bin, 'monitor', '--port', String(port), '--bind', '127.0.0.1', '--json', '--duration', `${seconds + 2}s`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  mon.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  mon.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const done = new Promise<number | null>((resolve) => mon.on('close', resolve));
  await new Promise((r) => setTimeout(r, 800));
  const summary = await generate(specs(port, () => undefined));
  if ((await done) !== 0) throw new Error(`monitor: ${err.trim()}`);
  const lines = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const report = lines.find((l) => 'report' in l)!.report as { totals: { streams: number; untrackedStreams: number }; receiver: { kernelDrops: number; cpuSeconds: number; rcvbuf: number } };
  const last = Math.round(seconds * 1000 / INTERVAL_MS) - 1;
  const falseFailovers = lines.filter((l) => l.type === 'failover' && (l.lastSeq as number) < last).length;
  process.stdout.write(JSON.stringify({
    streams, watched: report.totals.streams, untracked: report.totals.untrackedStreams, kernelDrops: report.receiver.kernelDrops,
    falseFailovers, cpuSeconds: report.receiver.cpuSeconds, seconds: seconds + 2, rcvbuf: report.receiver.rcvbuf,
    sent: summary.streams.reduce((n, s) => n + s.sent, 0),
  }));
}

if (mode === 'sink') await sink();
else if (mode === 'watch') await watch();
else if (mode === 'send') await send();
else if (mode === 'declare') await declare();
else throw new Error(`unknown mode ${mode}`);
