// `--fail-on`: turn findings into exit status 1, so a script can gate on
// "did the cluster fail over" without parsing the report.

import type { FileReport } from '../analysis/analyze.js';
import { UsageError } from '../common/errors.js';
import { DEFAULT_MEDIA_LIMITS, type MediaLimits } from './media-options.js';

export const FAIL_ON_CONDITIONS = ['failover', 'loss', 'restart', 'missing-reset', 'unexplained-reset', 'dscp', 'keepalive', 'sip-timeout', 'mos', 'rtp-loss', 'health-check'] as const;
export type FailOnCondition = (typeof FAIL_ON_CONDITIONS)[number];

export function failOnConditions(text: string): FailOnCondition[] {
  const list = text.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = list.find((c) => !(FAIL_ON_CONDITIONS as readonly string[]).includes(c));
  if (bad !== undefined || list.length === 0) {
    throw new UsageError(`--fail-on: unknown condition '${bad ?? text}' (known: ${FAIL_ON_CONDITIONS.join(', ')})`);
  }
  return list as FailOnCondition[];
}

/** What held, one phrase per condition and file, e.g. "1 failover in a.pcap". */
export function failOnFindings(reports: FileReport[], conditions: FailOnCondition[], limits: MediaLimits = DEFAULT_MEDIA_LIMITS): string[] {
  const found: string[] = [];
  for (const r of reports) {
    const t = r.heartbeats.totals;
    const counts: Record<FailOnCondition, [number, string]> = {
      failover: [t.failovers, 'failover(s)'],
      loss: [r.heartbeats.streams.reduce((n, s) => n + s.lossRuns, 0), 'heartbeat loss run(s)'],
      restart: [t.restarts, 'sender restart(s)'],
      'missing-reset': [t.failoversWithoutReset, 'failover(s) with no TCP reset'],
      'unexplained-reset': [t.unexplainedResets, 'unexplained TCP reset(s)'],
      dscp: [r.dscpAudit.totals.violation, 'flow(s) violating the DSCP policy'],
      keepalive: [r.sipAnalysis.keepalives.filter((k) => k.unhealthy).length, 'failing SIP OPTIONS keepalive pair(s)'],
      'sip-timeout': [r.sipAnalysis.transactions.timeouts, 'SIP transaction timeout(s)'],
      // A call's worse direction; a stream no SDP tied to a call is judged on its own.
      mos: [
        r.rtp.calls.filter((c) => c.mos !== null && c.mos < limits.mos).length
          + r.rtp.streams.filter((s) => s.callId === null && s.quality !== null && s.quality.mos < limits.mos).length,
        `call(s) or stream(s) with MOS below ${limits.mos}`,
      ],
      'rtp-loss': [r.rtp.streams.filter((s) => s.lossPercent > limits.rtpLossPercent).length, `RTP stream(s) losing more than ${limits.rtpLossPercent} %`],
      'health-check': [r.cluster.healthChecks.filter((h) => h.failed > 0).length, 'load balancer health-check target(s) failing probes'],
    };
    for (const c of conditions) if (counts[c][0] > 0) found.push(`${counts[c][0]} ${counts[c][1]} in ${r.file}`);
  }
  return found;
}
