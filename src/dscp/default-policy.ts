// The policy `analyze` applies without --policy: Cisco's marking for a
// Unified CM / contact-center cluster. Each rule's note names its source; the
// README's "DSCP policy" section lists them in full.

import { DEFAULT_HEARTBEAT_PORTS } from '../../dissectors/mds-heartbeat.js';
import type { DscpPolicy, PolicyRule } from './policy.js';

export const BEST_EFFORT = 0;
const CS1 = 8;
const CS3 = 24;
const AF31 = 26;
const AF41 = 34;
const EF = 46;

const CALL_SIGNALING = 'Unified CM marks call signaling CS3 (seed 004); AF31 is the legacy signaling marking (QoS Baseline migration)';
const SIGNALING = { expect: [CS3], accept: [AF31] } as const;

function signaling(cls: string, ports: number[], note: string, transport?: 'tcp'): PolicyRule {
  return { class: cls, ...(transport ? { transport } : {}), ports: ports.map((p) => ({ lo: p, hi: p })), expect: [...SIGNALING.expect], accept: [...SIGNALING.accept], note };
}

const RULES: PolicyRule[] = [
  // Applications the pipeline recognised come first: they hold on any port.
  { class: 'sip', app: 'sip', expect: [CS3], accept: [AF31], note: CALL_SIGNALING },
  { class: 'rtp-video', app: 'rtp-video', expect: [AF41], accept: [], note: 'desktop video media AF41 (Unified CM flexible DSCP marking)' },
  { class: 'rtp-audio', app: 'rtp-audio', expect: [EF], accept: [], note: 'voice media EF (seed 004)' },
  { class: 'rtp-audio', app: 'rtp', expect: [EF], accept: [], note: 'RTP whose SDP media line was not seen: taken as voice, EF (seed 004)' },
  { class: 'mds-heartbeat', app: 'mds-heartbeat', expect: [AF31], accept: [CS3], note: 'UCCE private network, high priority: AF31 (UCCE SRND QoS chapter); CS3 accepted' },
  // Then well-known ports.
  signaling('sip', [5060, 5061], CALL_SIGNALING),
  signaling('sccp', [2000], 'SCCP phone signaling, TCP 2000, CS3 (seed 004; CUCM port usage)', 'tcp'),
  signaling('cti', [2748], 'CTI Manager (CTI/QBE), TCP 2748, priority signaling (seed 000; CUCM port usage)', 'tcp'),
  signaling('iccs', [8002], 'intra-cluster communication signaling, TCP 8002, priority signaling (seed 000; CUCM port usage)', 'tcp'),
  signaling('cucm-assistant', [2912], 'Unified CM Assistant console, TCP 2912, CS3 both ways (seed 004)', 'tcp'),
  {
    class: 'db-replication', transport: 'tcp', ports: [{ lo: 1500, hi: 1501 }], expect: [BEST_EFFORT, CS1], accept: [],
    note: 'Informix database replication: best effort, or IP precedence 1 (CS1) where the business needs it (seed 000)',
  },
  {
    class: 'mds-private', transport: 'tcp', ports: [{ lo: DEFAULT_HEARTBEAT_PORTS[0], hi: DEFAULT_HEARTBEAT_PORTS[1] }], expect: [AF31], accept: [CS3],
    note: 'MDS TCP between the duplexed sides on the heartbeat port range: private network high priority, AF31 (UCCE SRND QoS chapter)',
  },
];

/** A fresh copy each call, so a caller may not change the shared default. */
export function defaultPolicy(): DscpPolicy {
  return {
    name: 'default',
    rules: RULES.map((r) => ({ ...r, expect: [...r.expect], accept: [...r.accept], ...(r.ports ? { ports: r.ports.map((p) => ({ ...p })) } : {}) })),
    default: { expect: [BEST_EFFORT], enforce: false },
  };
}
