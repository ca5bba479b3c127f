// `--fail-on`: turn findings into exit status 1, so a script can gate on
// "did the cluster fail over" without parsing the report.

import type { FileReport } from '../analysis/analyze.js';
import { UsageError } from '../common/errors.js';
import type { MediaReport, RtpStreamReport } from '../media/analyzer.js';
import { sanitize } from '../output/sanitize.js';
import { DEFAULT_MEDIA_LIMITS, type MediaLimits } from './media-options.js';

export const FAIL_ON_CONDITIONS = ['failover', 'loss', 'restart', 'missing-reset', 'unexplained-reset', 'dscp', 'keepalive', 'sip-timeout', 'mos', 'rtp-loss', 'health-check'] as const;
export type FailOnCondition = (typeof FAIL_ON_CONDITIONS)[number];

/** What `sip calls` can judge: it runs the SIP and media analyses only. */
export const SIP_CALLS_FAIL_ON = ['keepalive', 'sip-timeout', 'mos', 'rtp-loss'] as const satisfies readonly FailOnCondition[];
export type SipCallsFailOn = (typeof SIP_CALLS_FAIL_ON)[number];

function conditionList<C extends string>(text: string, known: readonly C[]): C[] {
  const list = text.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = list.find((c) => !(known as readonly string[]).includes(c));
  if (bad !== undefined || list.length === 0) {
    throw new UsageError(`--fail-on: unknown condition '${bad ?? text}' (known: ${known.join(', ')})`);
  }
  return list as C[];
}

export function failOnConditions(text: string): FailOnCondition[] {
  return conditionList(text, FAIL_ON_CONDITIONS);
}

export function sipCallsFailOn(text: string): SipCallsFailOn[] {
  const elsewhere = failOnConditions(text).find((c) => !(SIP_CALLS_FAIL_ON as readonly string[]).includes(c));
  if (elsewhere !== undefined) throw new UsageError(`--fail-on: '${elsewhere}' is for analyze; sip calls judges ${SIP_CALLS_FAIL_ON.join(', ')}`);
  return conditionList(text, SIP_CALLS_FAIL_ON);
}

/** How many held, what they are, and the worst of them by name when that says which (a call, a stream). */
type Finding = [count: number, what: string, worst?: string];

const streamName = (s: RtpStreamReport): string => `${sanitize(s.flow)} ${s.ssrc}${s.callId === null ? '' : ` (call ${sanitize(s.callId)})`}`;

/**
 * The media conditions: a call's worse direction below the MOS limit (a
 * stream no SDP tied to a call judged on its own), a stream losing more than
 * the loss limit; the worst of each named, so the line says which.
 */
function mediaFindings(rtp: MediaReport, limits: MediaLimits): Record<'mos' | 'rtp-loss', Finding> {
  const calls = rtp.calls.filter((c) => c.mos !== null && c.mos < limits.mos);
  const loose = rtp.streams.filter((s) => s.callId === null && s.quality !== null && s.quality.mos < limits.mos);
  const low = [
    ...calls.map((c) => ({ mos: c.mos!, name: `call ${sanitize(c.callId)}` })),
    ...loose.map((s) => ({ mos: s.quality!.mos, name: `stream ${streamName(s)}` })),
  ].sort((a, b) => a.mos - b.mos);
  const lossy = rtp.streams.filter((s) => s.lossPercent > limits.rtpLossPercent).sort((a, b) => b.lossPercent - a.lossPercent);
  return {
    mos: [low.length, `call(s) or stream(s) with MOS below ${limits.mos}`, low.length ? `${low[0].name} at ${low[0].mos.toFixed(2)}` : undefined],
    'rtp-loss': [lossy.length, `RTP stream(s) losing more than ${limits.rtpLossPercent} %`, lossy.length ? `stream ${streamName(lossy[0])} at ${lossy[0].lossPercent} %` : undefined],
  };
}

/** The conditions the SIP and media analyses decide, for `analyze` and `sip calls` alike. */
function sipMediaFindings(r: Pick<FileReport, 'sipAnalysis' | 'rtp'>, limits: MediaLimits): Record<SipCallsFailOn, Finding> {
  return {
    keepalive: [r.sipAnalysis.keepalives.filter((k) => k.unhealthy).length, 'failing SIP OPTIONS keepalive pair(s)'],
    'sip-timeout': [r.sipAnalysis.transactions.timeouts, 'SIP transaction timeout(s)'],
    ...mediaFindings(r.rtp, limits),
  };
}

/** One phrase per condition that held, e.g. "1 failover(s) in a.pcap". */
function phrases<C extends string>(found: Record<C, Finding>, conditions: readonly C[], file: string): string[] {
  return conditions.filter((c) => found[c][0] > 0).map((c) => {
    const [n, what, worst] = found[c];
    return `${n} ${what} in ${file}${worst === undefined ? '' : `, the worst ${worst}`}`;
  });
}

/** `sip calls --fail-on`: what held in one capture's calls and media. */
export function sipCallsFindings(file: string, r: Pick<FileReport, 'sipAnalysis' | 'rtp'>, conditions: readonly SipCallsFailOn[], limits: MediaLimits): string[] {
  return phrases(sipMediaFindings(r, limits), conditions, file);
}

/** What held, one phrase per condition and file, e.g. "1 failover(s) in a.pcap". */
export function failOnFindings(reports: FileReport[], conditions: FailOnCondition[], limits: MediaLimits = DEFAULT_MEDIA_LIMITS): string[] {
  const found: string[] = [];
  for (const r of reports) {
    const t = r.heartbeats.totals;
    const counts: Record<FailOnCondition, Finding> = {
      failover: [t.failovers, 'failover(s)'],
      loss: [r.heartbeats.streams.reduce((n, s) => n + s.lossRuns, 0), 'heartbeat loss run(s)'],
      restart: [t.restarts, 'sender restart(s)'],
      'missing-reset': [t.failoversWithoutReset, 'failover(s) with no TCP reset'],
      'unexplained-reset': [t.unexplainedResets, 'unexplained TCP reset(s)'],
      dscp: [r.dscpAudit.totals.violation, 'flow(s) violating the DSCP policy'],
      ...sipMediaFindings(r, limits),
      'health-check': [r.cluster.healthChecks.filter((h) => h.failed > 0).length, 'load balancer health-check target(s) failing probes'],
    };
    found.push(...phrases(counts, conditions, r.file));
  }
  return found;
}
