// Live capture on an interface, through the same reader and pipeline as
// files: tcpdump writes pcap to a pipe (-U: a packet at a time) and we read
// it as a stream. This keeps the kernel's timestamps and its drop counters,
// which the `cap` addon does not expose (it gives neither).

import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { readCaptureStream } from './capture-reader.js';
import { CaptureError, newFacts, type CaptureFacts, type FrameHandler } from './types.js';

/**
 * Kernel buffer and snaplen when none are asked for. In immediate mode (which
 * live views need: a heartbeat must not wait in a buffer) libpcap uses a ring
 * of fixed slots of the snaplen, so the ring holds buffer / snaplen packets:
 * tcpdump's 262144 with 32 MiB is 128 slots, and lost 24 % at 50 k packets/s
 * with the UI running; 9216 (a jumbo frame) with 32 MiB lost 17 % over 30 s on
 * a 2-core host also running the sender, and with 128 MiB (~14,000 slots,
 * 0.3 s at that rate) none (README, live capture). Longer packets are cut,
 * counted and reported, never silently.
 */
export const DEFAULT_BUFFER_MB = 128;
export const DEFAULT_LIVE_SNAPLEN = 9216;

export interface LiveOptions {
  iface: string;
  /** BPF filter, as tcpdump takes it. */
  filter?: string;
  snaplen?: number;
  /** Kernel capture buffer, MiB. */
  bufferMb?: number;
  /** Stop after this many packets (tcpdump -c: exact, and the capture ends by itself). */
  count?: number;
}

export interface CaptureCounters {
  captured: number;
  receivedByFilter: number;
  droppedByKernel: number;
  droppedByInterface: number;
}

export interface LiveCapture {
  facts: CaptureFacts;
  /** The newest kernel counters reported (null before the first report). */
  readonly counters: CaptureCounters | null;
  /** Ask for fresh counters (tcpdump prints them on SIGUSR1); they arrive in `counters` shortly after. */
  requestCounters(): void;
  /** Resolves when the capture ends by itself (the interface went away, tcpdump died), with why. */
  readonly ended: Promise<string | null>;
  /** Stop capturing; resolves once every captured packet has been handed on, with the kernel's counters. */
  stop(): Promise<CaptureCounters | null>;
}

/** tcpdump's stderr kept for messages and counters; older text is dropped. */
const STDERR_KEEP = 8192;

/** What tcpdump's complaint means for the user, as one line. */
function explain(iface: string, stderr: string): string {
  const s = stderr.trim();
  if (/permission|not permitted|privilege/i.test(s)) return `cannot capture on ${iface}: permission denied; live capture needs root or CAP_NET_RAW (sudo, or setcap cap_net_raw,cap_net_admin=eip $(which tcpdump))`;
  if (/No such device|doesn't exist|SIOCGIFHWADDR/i.test(s)) return `cannot capture on ${iface}: no such interface (see ip link)`;
  if (/syntax error|parse error|can't parse filter|illegal/i.test(s)) return `bad capture filter: ${s.split('\n').find((l) => /error|illegal/i.test(l)) ?? s}`;
  // tcpdump prints its packet counters after the complaint: the complaint is its last "tcpdump: " line.
  const lines = s.split('\n').filter(Boolean);
  const complaint = lines.filter((l) => l.startsWith('tcpdump: ') && !/listening on/.test(l)).pop()?.slice('tcpdump: '.length).replace(/^pcap_loop: /, '');
  return `cannot capture on ${iface}: ${complaint ?? lines.filter((l) => !COUNTER_LINE.test(l)).pop() ?? 'tcpdump failed'}`;
}

/** One of tcpdump's counter lines ("12 packets captured"). */
const COUNTER_LINE = /^\d+ packets? (captured|received by filter|dropped by)/;

/** The last counters in tcpdump's stderr: a one-line report on SIGUSR1, three lines at exit. */
function counters(stderr: string): CaptureCounters | null {
  const n = (what: string): number | null => {
    const all = [...stderr.matchAll(new RegExp(`(\\d+) packets? ${what}`, 'g'))];
    return all.length ? Number(all[all.length - 1][1]) : null;
  };
  const captured = n('captured');
  if (captured === null) return null;
  return { captured, receivedByFilter: n('received by filter') ?? 0, droppedByKernel: n('dropped by kernel') ?? 0, droppedByInterface: n('dropped by interface') ?? 0 };
}

export async function startLiveCapture(opts: LiveOptions, onFrame: FrameHandler): Promise<LiveCapture> {
  const args = ['-i', opts.iface, '-U', '-w', '-', '-n', '--immediate-mode', '-s', String(opts.snaplen ?? DEFAULT_LIVE_SNAPLEN)];
  args.push('-B', String(Math.round((opts.bufferMb ?? DEFAULT_BUFFER_MB) * 1024)));
  if (opts.count !== undefined) args.push('-c', String(opts.count));
  if (opts.filter) args.push(opts.filter);
  let child: ChildProcessByStdio<null, Readable, Readable>;
  try {
    child = spawn('tcpdump', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    throw new CaptureError(`cannot start tcpdump: ${(e as Error).message}`);
  }
  let stderr = '';
  let latest: CaptureCounters | null = null;
  let stopping = false;
  child.stderr.setEncoding('utf8');
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    child.once('error', (e: NodeJS.ErrnoException) => reject(new CaptureError(e.code === 'ENOENT' ? 'live capture needs tcpdump: apt-get install tcpdump' : `cannot start tcpdump: ${e.message}`)));
    child.stderr.on('data', (d: string) => {
      stderr = (stderr + d).slice(-STDERR_KEEP);
      latest = counters(stderr) ?? latest;
      if (/listening on/.test(stderr)) resolve();
    });
    void exited.then(() => reject(new CaptureError(explain(opts.iface, stderr))));
  });
  const facts = newFacts();
  const reading = readCaptureStream(`${opts.iface} (live)`, child.stdout, onFrame, facts);
  const ended = exited.then(async (code) => {
    await reading.catch(() => undefined);
    // -c reached: tcpdump ends by itself, with 0.
    return stopping || (opts.count !== undefined && code === 0) ? null : explain(opts.iface, stderr);
  });
  return {
    facts,
    get counters() {
      return latest;
    },
    requestCounters() {
      if (child.exitCode === null) child.kill('SIGUSR1');
    },
    ended,
    async stop() {
      stopping = true;
      if (child.exitCode === null) child.kill('SIGINT');
      await exited;
      await reading;
      return counters(stderr);
    },
  };
}
