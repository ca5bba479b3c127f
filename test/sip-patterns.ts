// Scripted SIP captures for the SIP analysis tests: a scenario says who sent
// which message when (microseconds from the capture start), the messages are
// built with the project's SIP text builders and written as UDP/IPv4 frames
// by the project's pcap writer. Nothing here is hand-written bytes.

import type { SdpSpec, SipNameAddr } from '../src/writer/frame-builder.js';
import { buildUdpFrame, parseIpv4, sipBytes, sipRequest, sipResponse } from '../src/writer/frame-builder.js';
import { PcapWriter } from '../src/writer/pcap-writer.js';
import { T0_US } from './heartbeat-patterns.js';
import assert from 'node:assert/strict';
import { SipAnalyzer, type SipAnalysisParams, type SipAnalysisReport } from '../src/sip/analyzer.js';
import type { CallRecord } from '../src/sip/dialogs.js';
import { decodeAll } from './helpers.js';

export { T0_US };
export const MS = 1000;
export const S = 1_000_000;
export const DSCP_CS3 = 24;

export interface SipHost {
  ip: string;
  port: number;
}

interface Packet {
  us: number;
  from: SipHost;
  to: SipHost;
  text: string;
  dscp: number;
}

/** Epoch seconds of an offset, as the pcap reader builds a packet time. */
export function epochAt(us: number): number {
  const t = T0_US + us;
  const s = Math.floor(t / 1e6);
  return s + ((t - s * 1e6) * 1000) / 1e9;
}

/** Packets in time order (ties keep script order), written as Ethernet/IPv4/UDP with µs timestamps. */
export class SipCapture {
  private readonly packets: Packet[] = [];

  send(us: number, from: SipHost, to: SipHost, text: string, dscp = DSCP_CS3): void {
    this.packets.push({ us, from, to, text, dscp });
  }

  write(path: string): void {
    const w = new PcapWriter(path, { precision: 'us' });
    const mac = (ip: string): Uint8Array => Uint8Array.of(0x02, 0, ...parseIpv4(ip));
    const sorted = this.packets.map((p, i) => ({ p, i })).sort((a, b) => a.p.us - b.p.us || a.i - b.i);
    for (const { p } of sorted) {
      const t = T0_US + p.us;
      const frame = buildUdpFrame({ src: mac(p.from.ip), dst: mac(p.to.ip) }, { src: p.from.ip, dst: p.to.ip, dscp: p.dscp, ttl: 64 },
        { sport: p.from.port, dport: p.to.port, payload: sipBytes(p.text) });
      w.writePacket(Math.floor(t / 1e6), (t % 1e6) * 1000, frame);
    }
    w.close();
  }
}

/**
 * One UAC -> UAS conversation under one Call-ID: requests from either side
 * (the callee's swap From/To), responses to a given request. Each request
 * gets a fresh RFC 3261 branch unless one is given (CANCEL and the ACK for a
 * non-2xx reuse the INVITE's).
 */
export class Dialog {
  private branchNo = 0;
  private seqNo = 0;
  readonly caller: SipNameAddr;
  readonly callee: SipNameAddr;

  constructor(
    private readonly cap: SipCapture,
    readonly a: SipHost,
    readonly b: SipHost,
    readonly callId: string,
    readonly fromTag: string,
    public toTag: string | null = null,
    readonly dscp = DSCP_CS3,
  ) {
    this.caller = { uri: `sip:alice@${a.ip}`, tag: fromTag };
    this.callee = { uri: `sip:bob@${b.ip}` };
  }

  branch(): string {
    return `z9hG4bK${this.callId.replace(/[^a-z0-9]/gi, '')}${++this.branchNo}`;
  }

  /** The callee's tag goes on requests only once a response carried it (an initial INVITE has none). */
  private tagSent = false;

  private to(): SipNameAddr {
    return this.toTag === null || !this.tagSent ? this.callee : { ...this.callee, tag: this.toTag };
  }

  /** A request from the caller (or, with fromCallee, from the callee); returns what a response needs. */
  request(us: number, method: string, opts: { branch?: string; seq?: number; sdp?: SdpSpec; fromCallee?: boolean } = {}): Req {
    const branch = opts.branch ?? this.branch();
    const seq = opts.seq ?? (method === 'ACK' || method === 'CANCEL' ? this.seqNo : ++this.seqNo);
    const from = opts.fromCallee ? this.b : this.a;
    const to = opts.fromCallee ? this.a : this.b;
    const fromAddr = opts.fromCallee ? { ...this.callee, tag: this.toTag ?? undefined } : this.caller;
    const toAddr = opts.fromCallee ? this.caller : method === 'CANCEL' ? this.callee : this.to();
    const req: Req = { method, branch, seq, from, to, fromAddr, toAddr };
    this.cap.send(us, from, to, sipRequest({
      method, requestUri: `sip:${opts.fromCallee ? 'alice' : 'bob'}@${to.ip}:${to.port}`,
      via: [{ transport: 'UDP', host: from.ip, port: from.port, branch }], from: fromAddr, to: toAddr, callId: this.callId,
      cseq: { seq, method }, contact: `sip:x@${from.ip}:${from.port}`, sdp: opts.sdp,
    }), this.dscp);
    return req;
  }

  /** A response to `req`, sent back by its receiver; a To tag is added from the dialog when `tagged`. */
  respond(us: number, req: Req, status: number, opts: { tagged?: boolean; sdp?: SdpSpec } = {}): void {
    const toAddr = opts.tagged && this.toTag !== null && req.toAddr.tag === undefined ? { ...req.toAddr, tag: this.toTag } : req.toAddr;
    if (opts.tagged) this.tagSent = true;
    this.cap.send(us, req.to, req.from, sipResponse({
      status, via: [{ transport: 'UDP', host: req.from.ip, port: req.from.port, branch: req.branch }], from: req.fromAddr, to: toAddr,
      callId: this.callId, cseq: { seq: req.seq, method: req.method }, sdp: opts.sdp,
    }), this.dscp);
  }

  /** The same request bytes again (a retransmission). */
  resend(us: number, req: Req, sdp?: SdpSpec): void {
    this.cap.send(us, req.from, req.to, sipRequest({
      method: req.method, requestUri: `sip:bob@${req.to.ip}:${req.to.port}`,
      via: [{ transport: 'UDP', host: req.from.ip, port: req.from.port, branch: req.branch }], from: req.fromAddr, to: req.toAddr,
      callId: this.callId, cseq: { seq: req.seq, method: req.method }, contact: `sip:x@${req.from.ip}:${req.from.port}`, sdp,
    }), this.dscp);
  }
}

export interface Req {
  method: string;
  branch: string;
  seq: number;
  from: SipHost;
  to: SipHost;
  fromAddr: SipNameAddr;
  toAddr: SipNameAddr;
}

/** Run a capture's records through a SIP analyzer of its own, reported at the capture's last packet. */
export async function analyzeSip(file: string, params: Partial<SipAnalysisParams> = {}): Promise<SipAnalysisReport> {
  const a = new SipAnalyzer(params);
  const { records, facts } = await decodeAll(file);
  for (const r of records) a.add(r);
  return a.report(facts.lastTs);
}

/** The report's call with this Call-ID; fails the test when there is none. */
export function callOf(r: SipAnalysisReport, callId: string): CallRecord {
  const c = r.calls.calls.find((x) => x.callId === callId);
  assert.ok(c, `call ${callId}`);
  return c;
}
