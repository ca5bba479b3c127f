// The live UI under load: `ucprobe live -i lo` with its ink UI drawn in a
// real terminal (tmux), while the generator sends 50,000 heartbeats/s to it
// for 30 s (1,000 streams every 20 ms). Prints, as JSON: what the generator
// sent, what the pipeline counted, the kernel's drops, and the live process's
// CPU. Needs root (capture on lo) and tmux; run alone with
//   node dist/test/bench/live-load.js [seconds] [streams] [intervalMs]

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const [secondsArg = '30', streamsArg = '1000', intervalArg = '20'] = process.argv.slice(2);
const seconds = Number(secondsArg);
const streams = Number(streamsArg);
const intervalMs = Number(intervalArg);
const PORT = 39599;
const cli = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bin', 'ucprobe.js');
const dir = mkdtempSync(join(tmpdir(), 'ucprobe-live-load-'));
const session = `ucprobe-bench-${process.pid}`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const pane = (): string => spawnSync('tmux', ['capture-pane', '-t', session, '-p', '-S', '-50'], { encoding: 'utf8' }).stdout;

async function until(what: RegExp, ms: number): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const text = pane();
    if (what.test(text)) return text;
    if (Date.now() > end) throw new Error(`the live UI never showed ${what}`);
    await sleep(200);
  }
}

async function main(): Promise<void> {
  const streamsFile = join(dir, 'streams.yaml');
  writeFileSync(streamsFile, `streams:\n  - name: load\n    repeat: ${streams}\n    interval: ${intervalMs}\n    duration: ${seconds}s\n`);
  const timeFile = join(dir, 'time.txt');
  // /usr/bin/time is not everywhere: the shell's `times` gives the live process's CPU.
  const cmd = `${process.execPath} ${cli} live -i lo -f 'udp port ${PORT}' --duration ${seconds + 4}s; echo "EXIT $?"; times > ${timeFile}; sleep 60`;
  if (spawnSync('tmux', ['new-session', '-d', '-s', session, '-x', '160', '-y', '50', 'bash', '-c', cmd]).status !== 0) throw new Error('tmux failed');
  try {
    await until(/Heartbeats/, 15_000);
    const g = spawnSync(process.execPath, [cli, 'generate', '--streams', streamsFile, '--to', `127.0.0.1:${PORT}`, '--json'], { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (g.status !== 0) throw new Error(`generate failed: ${g.stderr.trim()}`);
    const summary = JSON.parse(g.stdout) as { streams: Array<{ sent: number }> };
    const sent = summary.streams.reduce((n, s) => n + s.sent, 0);
    const text = await until(/EXIT \d+/, 30_000);
    const m = /(\d+) packets? in ([\d.]+) s; kernel drops (\d+|n\/a), interface drops (\d+|n\/a), decode errors (\d+)/.exec(text);
    if (!m) throw new Error(`no summary in the pane:\n${text}`);
    await sleep(300);
    // `times`: shell user/sys, then children user/sys (the live process and its tcpdump).
    const cpu = readFileSync(timeFile, 'utf8').trim().split('\n')[1]?.split(/\s+/).map((t) => {
      const p = /(\d+)m([\d.]+)s/.exec(t);
      return p ? Number(p[1]) * 60 + Number(p[2]) : 0;
    }) ?? [0, 0];
    process.stdout.write(JSON.stringify({
      seconds, streams, intervalMs, offeredPps: Math.round(streams * 1000 / intervalMs),
      sent, counted: Number(m[1]), liveSeconds: Number(m[2]), kernelDrops: m[3] === 'n/a' ? null : Number(m[3]),
      decodeErrors: Number(m[5]), cpuSeconds: Math.round((cpu[0] + cpu[1]) * 10) / 10,
    }));
  } finally {
    spawnSync('tmux', ['kill-session', '-t', session]);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(1);
});
