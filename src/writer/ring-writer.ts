// `live -w out.pcapng [--size MB [--ring N]]`: what was captured, written as
// pcapng so the session can be analysed again offline. With --size the output
// rotates into numbered files named as dumpcap names them
// (out_00001_20261124103000.pcapng); with --ring only the newest N are kept.

import { accessSync, constants, statSync, unlinkSync } from 'node:fs';
import { outputError } from '../common/io-errors.js';
import { basename, dirname, extname, join } from 'node:path';
import type { FrameInfo, PacketRecord } from '../../dissectors/types.js';
import { PcapngWriter } from './pcap-writer.js';
import { isoTime } from '../common/time-format.js';

export interface RingOptions {
  path: string;
  /** Start a new file once this many bytes are written (dumpcap's filesize, in 1000s). */
  maxBytes?: number;
  /** Keep only the newest N files. */
  ring?: number;
  snaplen?: number;
  /** Interface name written into the pcapng IDB. */
  ifaceName?: string;
}

/** YYYYMMDDhhmmss of the first packet, for file names (epoch seconds if it has no calendar date). */
function stamp(t: number): string {
  const iso = isoTime(t);
  return iso.endsWith('Z') ? iso.replace(/[-:T]/g, '').slice(0, 14) : String(Math.floor(t));
}

export class RingCaptureWriter {
  /** Every file written, oldest first (those a ring removed are gone from disk). */
  readonly files: string[] = [];
  private writer: PcapngWriter | null = null;
  private linkTypes: number[] = [];
  private sequence = 0;
  packets = 0;

  /** Files open at the first packet; whether they can be is asked now, so a bad -w is said before capture starts. */
  constructor(private readonly opts: RingOptions) {
    const folder = dirname(opts.path);
    try {
      if (!statSync(folder).isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' });
      accessSync(folder, constants.W_OK);
    } catch (e) {
      throw outputError(opts.path, e);
    }
  }

  /** Write one captured frame (bytes are copied into the file buffer at once). */
  write(info: FrameInfo, bytes: Uint8Array): void {
    if (this.writer === null || (this.opts.maxBytes !== undefined && this.writer.bytesWritten >= this.opts.maxBytes)) this.rotate(info.tsSec + info.tsNsec / 1e9);
    const w = this.writer!;
    let iface = this.linkTypes.indexOf(info.linkType);
    if (iface < 0) {
      iface = w.addInterface({ linkType: info.linkType, snaplen: this.opts.snaplen, precision: 'ns', name: this.opts.ifaceName });
      this.linkTypes.push(info.linkType);
    }
    w.writeEnhancedPacket(info.tsSec, info.tsNsec, bytes, { iface, origLen: info.len });
    this.packets++;
  }

  /** The frame being decoded through a `tap`ped handler (the reader's views: valid while it is handled). */
  private tapped: { info: FrameInfo; bytes: Uint8Array } | null = null;

  /** `handler`, with each frame remembered while it runs, so a consumer of its record can write it (writeFrameOf). */
  tap(handler: (info: FrameInfo, bytes: Uint8Array) => void): (info: FrameInfo, bytes: Uint8Array) => void {
    return (info, bytes) => {
      this.tapped = { info, bytes };
      handler(info, bytes);
    };
  }

  /** Write the frame `rec` was decoded from, as captured; false when that is not the frame being handled. */
  writeFrameOf(rec: PacketRecord): boolean {
    const t = this.tapped;
    if (t === null || t.info.frame !== rec.frame) return false;
    this.write(t.info, t.bytes);
    return true;
  }

  /** Everything written so far onto the disk (the UI saves a call from the file while capture goes on). */
  flush(): void {
    this.writer?.flush();
  }

  close(): void {
    this.writer?.close();
    this.writer = null;
  }

  private rotate(t: number): void {
    this.writer?.close();
    const p = this.opts.path;
    let name = p;
    if (this.opts.maxBytes !== undefined) {
      const ext = extname(p) || '.pcapng';
      name = join(dirname(p), `${basename(p, extname(p))}_${String(++this.sequence).padStart(5, '0')}_${stamp(t)}${ext}`);
    }
    // A small buffer: what was captured reaches the disk soon, not only at the end.
    this.writer = new PcapngWriter(name, { interfaces: [], bufferSize: 64 * 1024 });
    this.linkTypes = [];
    this.files.push(name);
    const ring = this.opts.ring;
    if (ring !== undefined) {
      while (this.files.length > ring) {
        const old = this.files.shift()!;
        try {
          unlinkSync(old);
        } catch {
          // Already gone (removed by the user): nothing to keep bounded.
        }
      }
    }
  }
}
