// Every SIP message of one Call-ID, in capture order, for the ladder diagram
// of `ucprobe sip flow`. Only that call's messages are kept (up to a cap), so
// a long capture costs no more memory than the call itself.

import type { PacketRecord } from '../../dissectors/types.js';
import { sipEventsOf, type SipEvent } from './sip-event.js';
import { TransactionTracker } from './transactions.js';

/** Where and when the message travelled (as its SipEvent says), and what the ladder shows of it. */
export interface FlowMessage extends Omit<SipEvent, 'msg'> {
  /** Method, or status code and reason phrase. */
  label: string;
  cseq: string;
  /** SDP media announced: "addr:port codecs" per m= line. */
  sdp: string[];
  retransmission: boolean;
  malformed: boolean;
}

export interface CallFlow {
  callId: string;
  /** ip:port of every host, in order of first appearance (the caller first). */
  hosts: string[];
  messages: FlowMessage[];
  /** Messages beyond the cap, not kept. */
  dropped: number;
}

export const MAX_FLOW_MESSAGES = 10_000;
/** Bytes of message text a call keeps (keepRaw): past them its later messages are listed but not kept as sent. */
export const MAX_RAW_BYTES = 256 * 1024;

const utf8 = new TextDecoder('utf-8');

export class CallFlowCollector {
  private readonly messages: FlowMessage[] = [];
  private readonly hosts: string[] = [];
  private dropped = 0;
  // Its own transaction tracker: retransmissions are told within this call only.
  private readonly tx = new TransactionTracker();
  /** Each kept message as sent (keepRaw), null past MAX_RAW_BYTES or when the parser did not hold it whole. */
  private readonly raws: Array<string | null> = [];
  private rawBytes = 0;

  /** `keepRaw`: keep each message's text as sent too, for a viewer that shows it and searches it. */
  constructor(readonly callId: string, private readonly max = MAX_FLOW_MESSAGES, private readonly keepRaw = false) {}

  readonly add = (rec: PacketRecord): void => {
    if (rec.sip === null) return;
    for (const ev of sipEventsOf(rec)) {
      const { msg: m, ...where } = ev;
      if (m.callId !== this.callId) continue;
      const u = this.tx.add(ev);
      if (this.messages.length >= this.max) {
        this.dropped++;
        continue;
      }
      for (const h of [ev.src, ev.dst]) if (!this.hosts.includes(h)) this.hosts.push(h);
      this.messages.push({
        ...where,
        label: m.method ?? `${m.status}${m.reason ? ` ${m.reason}` : ''}`,
        cseq: `${m.cseq!.seq} ${m.cseq!.method}`,
        sdp: (m.sdp?.media ?? []).map((md) => `${md.address ?? '?'}:${md.port} ${md.media} ${md.payloadTypes.join(',')}`),
        retransmission: u.kind.endsWith('-retransmission'),
        malformed: m.error !== undefined,
      });
      if (this.keepRaw) {
        const fits = m.raw !== null && this.rawBytes + m.raw.length <= MAX_RAW_BYTES;
        if (fits) this.rawBytes += m.raw!.length;
        // Decoded now: the bytes are a view into the frame, valid only while it is handled.
        this.raws.push(fits ? utf8.decode(m.raw!) : null);
      }
    }
  };

  /** Message `i` as sent (keepRaw), null when it was not kept. */
  rawText(i: number): string | null {
    return this.raws[i] ?? null;
  }

  /** The last search: asked again with the same pattern (a view redrawing), only the messages since are read. */
  private searched: { pattern: string; upTo: number; hits: number[] } | null = null;

  /** Indexes of the kept messages whose text as sent matches (`re` without the g flag). */
  find(re: RegExp): number[] {
    const pattern = `${re.source}/${re.flags}`;
    if (this.searched?.pattern !== pattern) this.searched = { pattern, upTo: 0, hits: [] };
    const s = this.searched;
    for (; s.upTo < this.raws.length; s.upTo++) {
      const t = this.raws[s.upTo];
      if (t !== null && re.test(t)) s.hits.push(s.upTo);
    }
    return [...s.hits];
  }

  flow(): CallFlow {
    return { callId: this.callId, hosts: [...this.hosts], messages: [...this.messages], dropped: this.dropped };
  }
}
