// The port-scan shape for `npm run bench`: a scanner probing eight hosts on
// every port, each probe a flow of its own (one packet): half UDP with a
// 4-byte payload (as a heartbeat would be), half TCP SYN. Every per-flow
// table fills and evicts; what the run costs in time and memory must not
// grow with the number of flows. Written by the project's writer.

import { TCP_SYN } from '../../dissectors/types.js';
import { buildTcpFrame, buildUdpFrame, tcpSynOptions } from '../../src/writer/frame-builder.js';
import { PcapWriter } from '../../src/writer/pcap-writer.js';

const SCANNER = '10.66.0.1';
const TARGETS = Array.from({ length: 8 }, (_, i) => `10.67.0.${10 + i}`);
const ETH = { src: '02:00:00:00:00:66', dst: '02:00:00:00:00:67' };

/** Writes `probes` one-packet flows to `path`, 10 µs apart. */
export function writePortScanCapture(path: string, probes: number, startSec = 1772442000): void {
  const w = new PcapWriter(path);
  const payload = Uint8Array.of(0, 0, 0, 1);
  const options = tcpSynOptions();
  for (let k = 0; k < probes; k++) {
    // Probe k: port 1 + k / 16 of target k / 2 % 8, UDP for even k: no two probes share a 5-tuple below 1 M.
    const dst = TARGETS[(k >> 1) & 7];
    const dport = 1 + ((k >> 4) % 65535);
    const sport = 40000 + (Math.floor(k / (16 * 65535)) % 20000);
    const ip = { src: SCANNER, dst, dscp: 0 };
    const frame = k % 2 === 0
      ? buildUdpFrame(ETH, ip, { sport, dport, payload })
      : buildTcpFrame(ETH, ip, { sport, dport, seq: k, ack: 0, flags: TCP_SYN, window: 64240, options });
    const t = startSec * 1e6 + k * 10;
    const s = Math.floor(t / 1e6);
    w.writePacket(s, (t - s * 1e6) * 1000, frame);
  }
  w.close();
}

// As a script: node dist/test/bench/port-scan.js FILE PROBES
if (process.argv[1]?.endsWith('port-scan.js') && process.argv[2]) writePortScanCapture(process.argv[2], Number(process.argv[3] ?? 400_000));
