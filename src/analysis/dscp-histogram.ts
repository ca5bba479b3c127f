// DSCP values seen per application (and per transport for the rest): the
// first look at whether signaling is CS3 and media EF.

import type { PacketRecord } from '../../dissectors/types.js';

/** application or transport -> DSCP value -> packets */
export type DscpHistogram = Record<string, Record<number, number>>;

export function applicationOf(rec: PacketRecord): string {
  if (rec.app) return rec.app;
  if (rec.transport) return `other-${rec.transport}`;
  return 'other-ip';
}

export class DscpCounter {
  readonly histogram: DscpHistogram = {};

  readonly add = (rec: PacketRecord): void => {
    if (!rec.ip) return;
    const h = (this.histogram[applicationOf(rec)] ??= {});
    h[rec.ip.dscp] = (h[rec.ip.dscp] ?? 0) + 1;
  };
}
