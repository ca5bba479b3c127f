// `generate --write`: what a run put on the wire, as a pcapng `analyze` reads,
// with the withheld sequence numbers in a note block.

import { PcapngWriter } from '../writer/pcap-writer.js';
import { buildUdpFrame, heartbeatPayload } from '../writer/frame-builder.js';
import type { GenerateSummary, SentDatagram } from './generate.js';

/** Writes each datagram as sent into a pcapng, and what was withheld as a note at the end. */
export class SentWriter {
  private readonly w: PcapngWriter;

  constructor(path: string) {
    this.w = new PcapngWriter(path, { comment: 'heartbeats sent by ucprobe generate' });
  }

  readonly add = (d: SentDatagram): void => {
    const r = d.stream;
    const ip = r.family === 6
      ? { version: 6 as const, src: r.local.address, dst: r.address, dscp: r.spec.dscp ?? 0 }
      : { src: r.local.address, dst: r.address, dscp: r.spec.dscp ?? 0, ttl: 64 };
    const frame = buildUdpFrame({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }, ip, { sport: r.local.port, dport: r.spec.port, payload: heartbeatPayload(d.seq, r.spec.byteOrder) });
    const sec = Math.floor(d.time);
    this.w.writePacket(sec, Math.round((d.time - sec) * 1e9) % 1e9, frame);
  };

  close(summary: GenerateSummary): void {
    for (const s of summary.streams) {
      if (s.withheldSeqs.length) this.w.writeNote(`withheld ${s.local.address}:${s.local.port}>${s.address}:${s.spec.port}: ${compactRanges(s.withheldSeqs)}`);
    }
    this.w.close();
  }
}

function compactRanges(seqs: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < seqs.length; ) {
    let j = i;
    while (j + 1 < seqs.length && seqs[j + 1] === seqs[j] + 1) j++;
    out.push(i === j ? `${seqs[i]}` : `${seqs[i]}-${seqs[j]}`);
    i = j + 1;
  }
  return out.join(',');
}
