// Live capture on an interface, through the same reader and pipeline as
// files: tcpdump writes pcap to a pipe (-U: a packet at a time) and we read
// it as a stream. This keeps the kernel's timestamps and its drop counters,
// which the `cap` addon does not expose (it gives neither).

import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { readCaptureStream } from './capture-reader.js';
import { CaptureError, newFacts, type CaptureFacts, type FrameHandler } from './types.js';

export interface LiveOptions {
  iface: string;
  /** BPF filter, as tcpdump takes it. */
  filter?: string;
  snaplen?: number;
  /** Kernel capture buffer, MiB. */
  bufferMb?: number;
}

export interface CaptureCounters {
  captured: number;
  receivedByFilter: number;
  droppedByKernel: number;
  droppedByInterface: number;
}

export interface LiveCapture {
  facts: CaptureFacts;
  /** Stop capturing; resolves once every captured packet has been handed on, with the kernel's counters. */
  stop(): Promise<CaptureCounters | null>;
}

/** What tcpdump's complaint means for the user, as one line. */
function explain(iface: string, stderr: string): string {
  const s = stderr.trim();
  if (/permission|not permitted|privilege/i.test(s)) return `cannot capture on ${iface}: permission denied; live capture needs root or CAP_NET_RAW (sudo, or setcap cap_net_raw,cap_net_admin=eip $(which tcpdump))`;
  if (/No such device|doesn't exist|SIOCGIFHWADDR/i.test(s)) return `cannot capture on ${iface}: no such interface (see ip link)`;
  if (/syntax error|parse error|can't parse filter|illegal/i.test(s)) return `bad capture filter: ${s.split('\n').find((l) => /error|illegal/i.test(l)) ?? s}`;
  return `cannot capture on ${iface}: ${s.split('\n').filter(Boolean).pop() ?? 'tcpdump failed'}`;
}

function counters(stderr: string): CaptureCounters | null {
  const n = (what: string): number | null => {
    const m = new RegExp(`(\\d+) packets? ${what}`).exec(stderr);
    return m ? Number(m[1]) : null;
  };
  const captured = n('captured');
  if (captured === null) return null;
  return { captured, receivedByFilter: n('received by filter') ?? 0, droppedByKernel: n('dropped by kernel') ?? 0, droppedByInterface: n('dropped by interface') ?? 0 };
}

export async function startLiveCapture(opts: LiveOptions, onFrame: FrameHandler): Promise<LiveCapture> {
  const args = ['-i', opts.iface, '-U', '-w', '-', '-n', '--immediate-mode', '-s', String(opts.snaplen ?? 262144)];
  if (opts.bufferMb) args.push('-B', String(Math.round(opts.bufferMb * 1024)));
  if (opts.filter) args.push(opts.filter);
  let child: ChildProcessByStdio<null, Readable, Readable>;
  try {
    child = spawn('tcpdump', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    throw new CaptureError(`cannot start tcpdump: ${(e as Error).message}`);
  }
  let stderr = '';
  child.stderr.setEncoding('utf8');
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    child.once('error', (e: NodeJS.ErrnoException) => reject(new CaptureError(e.code === 'ENOENT' ? 'live capture needs tcpdump: apt-get install tcpdump' : `cannot start tcpdump: ${e.message}`)));
    child.stderr.on('data', (d: string) => {
      stderr += d;
      if (/listening on/.test(stderr)) resolve();
    });
    void exited.then(() => reject(new CaptureError(explain(opts.iface, stderr))));
  });
  const facts = newFacts();
  const reading = readCaptureStream(`${opts.iface} (live)`, child.stdout, onFrame, facts);
  return {
    facts,
    async stop() {
      child.kill('SIGINT');
      await exited;
      await reading;
      return counters(stderr);
    },
  };
}
