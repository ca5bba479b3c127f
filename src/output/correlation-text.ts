// The `--correlate` section of the text report: per heartbeat direction,
// what the sender-side capture saw against what reached the receiver.

import type { Correlation } from '../heartbeat/correlate.js';
import { sanitize } from './sanitize.js';
import { table } from './table.js';

export function correlationText(c: Correlation): string {
  const [a, b] = c.files.map(sanitize);
  const offset = c.clockOffsetMs === null
    ? 'unknown (no stream seen in both directions): delays below include it'
    : `${c.clockOffsetMs.toFixed(3)} ms (${b} minus ${a}, assuming equal delay both ways)`;
  const side = (f: string | null): string => (f === null ? '?' : f === c.files[0] ? 'A' : 'B');
  const rows = c.streams.map((s) => [
    s.stream, `${side(s.senderFile)}->${side(s.receiverFile)}`, s.decidedBy ?? 'unknown', s.compared, s.matched,
    s.lostOnWire, s.neverSent, s.missedBySenderCapture,
    s.delayMs ? `${s.delayMs.min.toFixed(3)}/${s.delayMs.p50.toFixed(3)}/${s.delayMs.p99.toFixed(3)}/${s.delayMs.max.toFixed(3)}` : '-',
  ]);
  const out = [
    `Two-vantage correlation (A = ${a}, B = ${b})`,
    `  clock offset ${offset}`,
    c.streams.length === 0 ? '  no stream seen in both captures' : table(
      ['stream', 'captured', 'side by', 'compared', 'both', 'lost on wire', 'never sent', 'missed at sender', `one-way delay ms min/p50/p99/max`],
      rows,
    ),
  ];
  for (const o of c.onlyIn) out.push(`  only in ${sanitize(o.file)}: ${o.stream}`);
  return out.join('\n') + '\n';
}
