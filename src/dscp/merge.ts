// The DSCP audit of a file split by conversation: each flow, and the other
// direction it is compared with, lies in one part, so the merge is the
// union of the flows in the report's order with the totals summed.

import { VERDICT_ORDER, type DscpAuditReport, type DscpAuditTotals } from './audit.js';

/** The merged audit, or null when a flow turned up in two parts (a flow the split cut). */
export function mergeAudit(parts: readonly DscpAuditReport[]): DscpAuditReport | null {
  const flows = parts.flatMap((p) => p.flows);
  if (new Set(flows.map((f) => `${f.transport} ${f.flow}`)).size !== flows.length) return null;
  flows.sort((a, b) => VERDICT_ORDER[a.verdict] - VERDICT_ORDER[b.verdict] || b.packets - a.packets || (a.flow < b.flow ? -1 : a.flow > b.flow ? 1 : 0));
  const totals: DscpAuditTotals = { ...parts[0].totals, ecn: { ...parts[0].totals.ecn } };
  for (const p of parts.slice(1)) {
    for (const k of Object.keys(totals) as Array<keyof DscpAuditTotals>) {
      if (k !== 'ecn') totals[k] += p.totals[k];
    }
    totals.ecn.ect0 += p.totals.ecn.ect0;
    totals.ecn.ect1 += p.totals.ecn.ect1;
    totals.ecn.ce += p.totals.ecn.ce;
  }
  return { policy: parts[0].policy, totals, flows };
}
