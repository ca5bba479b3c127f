// Capture filters on files, as `tcpdump -r FILE EXPR` applies them: libpcap
// compiles the expression (tcpdump -ddd, for the file's link type: the same
// compiler, so the same packets) and this runs the classic BPF program on
// each frame as captured. A pure interpreter: out-of-range loads reject the
// packet as the kernel's and libpcap's do, nothing throws.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FrameHandler, FrameSink } from './types.js';

/** Instructions as flat words: code, jt, jf, k. */
export type BpfProgram = Uint32Array;

const LD = 0x00, LDX = 0x01, ST = 0x02, STX = 0x03, ALU = 0x04, JMP = 0x05, RET = 0x06;
const W = 0x00, H = 0x08;
const IMM = 0x00, ABS = 0x20, IND = 0x40, MEM = 0x60, LEN = 0x80, MSH = 0xa0;
const SRC_X = 0x08;

/** The scratch memory M[0..15], one for every run (a run starts by clearing it): no allocation per packet. */
const mem = new Uint32Array(16);

/** A big-endian load of `size` bytes at offset k of the packet; null past what was captured. */
function load(pkt: Uint8Array, start: number, caplen: number, k: number, size: number): number | null {
  if (k < 0 || k + size > caplen) return null;
  const p = start + k;
  return size === 4 ? ((pkt[p] << 24) | (pkt[p + 1] << 16) | (pkt[p + 2] << 8) | pkt[p + 3]) >>> 0 : size === 2 ? (pkt[p] << 8) | pkt[p + 1] : pkt[p];
}

/** Runs `prog` on pkt[start, start + caplen) of a packet `wirelen` long; returns how much to keep (0: no match). */
export function runBpf(prog: BpfProgram, pkt: Uint8Array, start: number, caplen: number, wirelen: number): number {
  let a = 0;
  let x = 0;
  mem.fill(0);
  const n = prog.length >> 2;
  for (let pc = 0; pc < n; pc++) {
    const i = pc << 2;
    const code = prog[i];
    const k = prog[i + 3];
    switch (code & 0x07) {
      case LD:
      case LDX: {
        const mode = code & 0xe0;
        const size = (code & 0x18) === W ? 4 : (code & 0x18) === H ? 2 : 1;
        let v: number | null;
        if (mode === IMM) v = k;
        else if (mode === LEN) v = wirelen;
        else if (mode === MEM) v = mem[k & 15];
        else if (mode === ABS) v = load(pkt, start, caplen, k, size);
        else if (mode === IND) v = load(pkt, start, caplen, (x + k) >>> 0, size);
        else if (mode === MSH) {
          const byte = load(pkt, start, caplen, k, 1);
          v = byte === null ? null : (byte & 0x0f) << 2;
        } else return 0;
        if (v === null) return 0;
        if ((code & 0x07) === LD) a = v >>> 0;
        else x = v >>> 0;
        break;
      }
      case ST:
        mem[k & 15] = a;
        break;
      case STX:
        mem[k & 15] = x;
        break;
      case ALU: {
        const v = code & SRC_X ? x : k;
        switch (code & 0xf0) {
          case 0x00: a = (a + v) >>> 0; break;
          case 0x10: a = (a - v) >>> 0; break;
          case 0x20: a = Math.imul(a, v) >>> 0; break;
          case 0x30: if (v === 0) return 0; a = Math.floor(a / v) >>> 0; break;
          case 0x40: a = (a | v) >>> 0; break;
          case 0x50: a = (a & v) >>> 0; break;
          case 0x60: a = v >= 32 ? 0 : (a << v) >>> 0; break;
          case 0x70: a = v >= 32 ? 0 : a >>> v; break;
          case 0x80: a = (-a) >>> 0; break;
          case 0x90: if (v === 0) return 0; a = (a % v) >>> 0; break;
          case 0xa0: a = (a ^ v) >>> 0; break;
          default: return 0;
        }
        break;
      }
      case JMP: {
        const op = code & 0xf0;
        if (op === 0x00) {
          pc += k;
          break;
        }
        const v = code & SRC_X ? x : k;
        const taken = op === 0x10 ? a === v : op === 0x20 ? a > v : op === 0x30 ? a >= v : op === 0x40 ? (a & v) !== 0 : false;
        pc += taken ? prog[i + 1] : prog[i + 2];
        break;
      }
      case RET:
        return (code & 0x18) === 0x10 ? a : (code & 0x18) === SRC_X ? x : k;
      default: // MISC
        if ((code & 0xf8) === 0x80) a = x;
        else x = a;
    }
  }
  return 0;
}

export class FilterError extends Error {}

/**
 * The program libpcap compiles for `expr` on frames of `linkType`, asked of
 * tcpdump on an empty capture of that link type (no privileges needed).
 */
export function compileBpf(expr: string, linkType: number, snaplen = 262144): BpfProgram {
  const dir = mkdtempSync(join(tmpdir(), 'ucprobe-bpf-'));
  try {
    const file = join(dir, 'empty.pcap');
    const header = Buffer.alloc(24);
    header.writeUInt32LE(0xa1b2c3d4, 0);
    header.writeUInt16LE(2, 4);
    header.writeUInt16LE(4, 6);
    header.writeUInt32LE(snaplen, 16);
    header.writeUInt32LE(linkType, 20);
    writeFileSync(file, header);
    const r = spawnSync('tcpdump', ['-r', file, '-ddd', expr], { encoding: 'utf8' });
    if (r.error) throw new FilterError((r.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'capture filters on files need tcpdump (it compiles them): apt-get install tcpdump' : `cannot run tcpdump: ${r.error.message}`);
    if (r.status !== 0) {
      const why = r.stderr.split('\n').map((l) => l.replace(/^tcpdump: /, '').trim()).filter((l) => l && !l.startsWith('reading from file')).pop();
      throw new FilterError(`bad capture filter '${expr}': ${why ?? `tcpdump exited ${r.status}`}`);
    }
    const lines = r.stdout.trim().split('\n');
    const count = Number(lines[0]);
    const prog = new Uint32Array(count * 4);
    for (let j = 0; j < count; j++) {
      const w = (lines[j + 1] ?? '').trim().split(/\s+/).map(Number);
      if (w.length !== 4 || w.some((v) => !Number.isFinite(v))) throw new FilterError(`bad capture filter '${expr}': tcpdump gave no program`);
      prog.set(w.map((v) => v >>> 0), j * 4);
    }
    return prog;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A filter over frames of any link type: each link type's program compiled the first time it is met. */
export class CaptureFilter {
  private readonly programs = new Map<number, BpfProgram>();

  constructor(readonly expr: string) {}

  matches(linkType: number, pkt: Uint8Array, start: number, caplen: number, wirelen: number): boolean {
    let prog = this.programs.get(linkType);
    if (prog === undefined) {
      prog = compileBpf(this.expr, linkType);
      this.programs.set(linkType, prog);
    }
    return runBpf(prog, pkt, start, caplen, wirelen) !== 0;
  }
}


/** Only the frames the filter selects reach `handler`. */
export function filterFrames(handler: FrameHandler, f: CaptureFilter): FrameHandler {
  return (info, bytes) => {
    if (f.matches(info.linkType, bytes, 0, info.caplen, info.len)) handler(info, bytes);
  };
}

/** The same for a sink that reads frames in place: a frame the filter drops counts as handled. */
export function filterSink(sink: FrameSink, f: CaptureFilter): FrameSink {
  return {
    frame: filterFrames(sink.frame, f),
    frameInPlace: (info, buf, start) => !f.matches(info.linkType, buf, start, info.caplen, info.len) || sink.frameInPlace(info, buf, start),
    flush: sink.flush,
  };
}

export interface CountingSink extends FrameSink {
  readonly count: number;
}

/** A sink that counts the frames handed to it (for -c). */
export function countingSink(sink: FrameSink): CountingSink {
  const c = {
    count: 0,
    frame: ((info, bytes) => {
      c.count++;
      sink.frame(info, bytes);
    }) as FrameHandler,
    // Not taken in place, the frame comes back through frame(): counted there.
    frameInPlace: (info: Parameters<FrameSink['frameInPlace']>[0], buf: Uint8Array, start: number): boolean => {
      const taken = sink.frameInPlace(info, buf, start);
      if (taken) c.count++;
      return taken;
    },
    flush: sink.flush,
  };
  return c;
}
