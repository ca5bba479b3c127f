// SIP messages by request method and by response status code, counted the
// way tshark's `-z sip,stat` counts them (every message, retransmissions too).

import type { PacketRecord } from '../../dissectors/types.js';
import type { BatchConsumer } from '../pipeline/udp-batch.js';

export interface SipCounts {
  messages: number;
  requests: Record<string, number>;
  responses: Record<string, number>;
  /** Messages that do not parse. */
  malformed: number;
  /** Messages that parse but depart from the RFCs, by what they do. */
  deviations: Record<string, number>;
}

export class SipCounter implements BatchConsumer {
  readonly counts: SipCounts = { messages: 0, requests: {}, responses: {}, malformed: 0, deviations: {} };

  readonly add = (rec: PacketRecord): void => {
    if (!rec.sip) return;
    const c = this.counts;
    for (const m of rec.sip) {
      c.messages++;
      if (m.error !== undefined) c.malformed++;
      for (const d of m.deviations ?? []) c.deviations[d] = (c.deviations[d] ?? 0) + 1;
      if (m.method !== undefined) c.requests[m.method] = (c.requests[m.method] ?? 0) + 1;
      else if (m.status !== undefined) c.responses[m.status] = (c.responses[m.status] ?? 0) + 1;
    }
  };

  /** A batch holds no SIP. */
  addUdpBatch(): void {}
}
