// RTCP packets for test captures and the generator, laid out with the
// dissector's constants (dissectors/rtcp.ts): decodeRtcp(compound(...)) gives
// back what was written.

import {
  RTCP_APP, RTCP_BYE, RTCP_HEADER_LEN, RTCP_REPORT_BLOCK_LEN, RTCP_RR, RTCP_SDES, RTCP_SENDER_INFO_LEN, RTCP_SR, RTCP_XR, SDES_CNAME,
  XR_VOIP_METRICS, XR_VOIP_METRICS_LEN, type RtcpReportBlock, type RtcpSenderInfo, type XrVoipMetrics,
} from '../../dissectors/rtcp.js';

function header(out: Uint8Array, count: number, pt: number): void {
  out[0] = 0x80 | (count & 0x1f);
  out[1] = pt;
  const words = out.length / 4 - 1;
  out[2] = words >> 8;
  out[3] = words & 0xff;
}

function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 24) & 0xff;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >> 8) & 0xff;
  b[o + 1] = v & 0xff;
}

function putReport(b: Uint8Array, o: number, r: RtcpReportBlock): void {
  put32(b, o, r.ssrc);
  b[o + 4] = Math.min(255, Math.round(r.fractionLost * 256));
  const lost = r.cumulativeLost & 0xffffff;
  b[o + 5] = lost >> 16;
  b[o + 6] = (lost >> 8) & 0xff;
  b[o + 7] = lost & 0xff;
  put32(b, o + 8, r.highestSeq);
  put32(b, o + 12, r.jitter);
  put32(b, o + 16, r.lsr);
  put32(b, o + 20, r.dlsr);
}

/** A sender report; the NTP time's middle 32 bits are `sender.ntpMiddle` (its outer halves zero). */
export function rtcpSr(ssrc: number, sender: RtcpSenderInfo, reports: RtcpReportBlock[] = []): Uint8Array {
  const out = new Uint8Array(RTCP_HEADER_LEN + 4 + RTCP_SENDER_INFO_LEN + reports.length * RTCP_REPORT_BLOCK_LEN);
  header(out, reports.length, RTCP_SR);
  put32(out, 4, ssrc);
  put16(out, 10, sender.ntpMiddle >>> 16);
  put16(out, 12, sender.ntpMiddle & 0xffff);
  put32(out, 16, sender.rtpTimestamp);
  put32(out, 20, sender.packets);
  put32(out, 24, sender.octets);
  reports.forEach((r, k) => putReport(out, 28 + k * RTCP_REPORT_BLOCK_LEN, r));
  return out;
}

export function rtcpRr(ssrc: number, reports: RtcpReportBlock[]): Uint8Array {
  const out = new Uint8Array(RTCP_HEADER_LEN + 4 + reports.length * RTCP_REPORT_BLOCK_LEN);
  header(out, reports.length, RTCP_RR);
  put32(out, 4, ssrc);
  reports.forEach((r, k) => putReport(out, 8 + k * RTCP_REPORT_BLOCK_LEN, r));
  return out;
}

/** One chunk with a CNAME item. */
export function rtcpSdes(ssrc: number, cname: string): Uint8Array {
  const text = Buffer.from(cname, 'latin1');
  const chunk = 4 + 2 + text.length + 1;
  const out = new Uint8Array(RTCP_HEADER_LEN + ((chunk + 3) & ~3));
  header(out, 1, RTCP_SDES);
  put32(out, 4, ssrc);
  out[8] = SDES_CNAME;
  out[9] = text.length;
  out.set(text, 10);
  return out;
}

export function rtcpBye(ssrcs: number[], reason?: string): Uint8Array {
  const text = reason === undefined ? null : Buffer.from(reason, 'latin1');
  const body = ssrcs.length * 4 + (text ? 1 + text.length : 0);
  const out = new Uint8Array(RTCP_HEADER_LEN + ((body + 3) & ~3));
  header(out, ssrcs.length, RTCP_BYE);
  ssrcs.forEach((s, k) => put32(out, 4 + k * 4, s));
  if (text) {
    out[4 + ssrcs.length * 4] = text.length;
    out.set(text, 5 + ssrcs.length * 4);
  }
  return out;
}

export function rtcpApp(ssrc: number, name: string, subtype: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(RTCP_HEADER_LEN + 8 + ((data.length + 3) & ~3));
  header(out, subtype, RTCP_APP);
  put32(out, 4, ssrc);
  out.set(Buffer.from(name.padEnd(4).slice(0, 4), 'latin1'), 8);
  out.set(data, 12);
  return out;
}

/** An XR packet with one VoIP Metrics block (RFC 3611 §4.7); levels and configuration left 127/0. */
export function rtcpXrVoip(ssrc: number, m: XrVoipMetrics): Uint8Array {
  const out = new Uint8Array(RTCP_HEADER_LEN + 4 + XR_VOIP_METRICS_LEN);
  header(out, 0, RTCP_XR);
  put32(out, 4, ssrc);
  const h = 8;
  out[h] = XR_VOIP_METRICS;
  put16(out, h + 2, XR_VOIP_METRICS_LEN / 4 - 1);
  const o = h + 4;
  put32(out, o, m.ssrc);
  out[o + 4] = Math.round(m.lossRate * 256);
  out[o + 5] = Math.round(m.discardRate * 256);
  out[o + 6] = Math.round(m.burstDensity * 256);
  out[o + 7] = Math.round(m.gapDensity * 256);
  put16(out, o + 8, m.burstDurationMs);
  put16(out, o + 10, m.gapDurationMs);
  put16(out, o + 12, m.roundTripDelayMs);
  put16(out, o + 14, m.endSystemDelayMs);
  out[o + 16] = 127;
  out[o + 17] = 127;
  out[o + 18] = 127;
  out[o + 19] = 16;
  out[o + 20] = m.rFactor;
  out[o + 21] = 127;
  out[o + 22] = Math.round(m.mosLq * 10);
  out[o + 23] = Math.round(m.mosCq * 10);
  put16(out, o + 26, m.jbNominalMs);
  put16(out, o + 28, m.jbMaxMs);
  put16(out, o + 30, m.jbMaxMs);
  return out;
}

/** Packets one after another in one datagram (a compound packet, or several). */
export function rtcpCompound(...packets: Uint8Array[]): Uint8Array {
  return Buffer.concat(packets);
}
