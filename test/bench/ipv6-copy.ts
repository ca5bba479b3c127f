// The bench's IPv6 capture: a copy of an Ethernet IPv4 capture with every
// IPv4 header replaced by an IPv6 one (fd00::a.b.c.d for a.b.c.d, the TOS as
// the traffic class, the TTL as the hop limit). Payloads are kept byte for
// byte, so their UDP/TCP checksums no longer hold; no reader here checks them.
// It times the path IPv6 packets take, on the same traffic as the IPv4 file.

import { readCapture } from '../../src/sources/capture-reader.js';
import { openCaptureWriter } from '../../src/writer/pcap-writer.js';

const ETH = 14;
const IPV6_HEADER = 40;

export async function writeIpv6Copy(src: string, dst: string): Promise<void> {
  const w = openCaptureWriter(dst, 'pcap', { linkType: 1 });
  await readCapture(src, (info, b) => {
    if (b[12] !== 0x08 || b[13] !== 0x00) {
      w.writePacket(info.tsSec, info.tsNsec, b);
      return;
    }
    const ihl = (b[ETH] & 15) * 4;
    const total = (b[ETH + 2] << 8) | b[ETH + 3];
    const payload = b.subarray(ETH + ihl, ETH + total);
    const out = new Uint8Array(ETH + IPV6_HEADER + payload.length);
    out.set(b.subarray(0, 12), 0);
    out[12] = 0x86;
    out[13] = 0xdd;
    const tos = b[ETH + 1];
    out[ETH] = 0x60 | (tos >> 4);
    out[ETH + 1] = (tos & 15) << 4;
    out[ETH + 4] = payload.length >> 8;
    out[ETH + 5] = payload.length & 255;
    out[ETH + 6] = b[ETH + 9]; // next header: the IPv4 protocol
    out[ETH + 7] = b[ETH + 8]; // hop limit: the TTL
    out[ETH + 8] = 0xfd;
    out.set(b.subarray(ETH + 12, ETH + 16), ETH + 20);
    out[ETH + 24] = 0xfd;
    out.set(b.subarray(ETH + 16, ETH + 20), ETH + 36);
    out.set(payload, ETH + IPV6_HEADER);
    w.writePacket(info.tsSec, info.tsNsec, out);
  });
  w.close();
}
