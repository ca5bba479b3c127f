// A policy's rule for a flow, remembered by what the rules read of it: its
// transport, applications and ports (the service port alone once the
// handshake told it). A port scan's flows, or a cluster's many calls, repeat
// a few such shapes across addresses, and matching the rules again for each
// was most of judging a flow. A policy with rules on addresses is matched
// every time.

import { classify, type DscpPolicy, type FlowFacts } from './policy.js';

/** Shapes remembered: a direct-mapped table, a collision only costs a match. */
const SLOTS = 4096;
/** The application bits a shape holds (policy.ts's APP_* fit in 8). */
const APP_MASK = 0xff;

export class ShapeMemo {
  private readonly byShape: boolean;
  /** By slot: the shape's transport, applications and service port (0: empty), its two ports without a service port, the rule's index. */
  private readonly shapes = new Int32Array(SLOTS);
  private readonly ports = new Int32Array(SLOTS);
  private readonly rules = new Int32Array(SLOTS);

  constructor(private readonly policy: DscpPolicy) {
    this.byShape = !policy.rules.some((r) => r.address !== undefined);
  }

  /** classify(policy, f). */
  classify(f: FlowFacts): number {
    const server = f.serverPort;
    if (!this.byShape || (f.apps & ~APP_MASK) !== 0) return classify(this.policy, f);
    const shape = (1 << 30) | (f.transport === 'tcp' ? 1 << 25 : 0) | (f.apps << 17) | (server === null ? 0 : (1 << 16) | server);
    // With the service port known, the rules read no other port (policy.ts portsMatch).
    const ports = server === null ? (f.sport << 16) | f.dport : 0;
    let h = Math.imul(shape ^ Math.imul(ports, 0x9e3779b1), 0x85ebca6b);
    h = (h ^ (h >>> 15)) & (SLOTS - 1);
    if (this.shapes[h] === shape && this.ports[h] === ports) return this.rules[h];
    const rule = classify(this.policy, f);
    this.shapes[h] = shape;
    this.ports[h] = ports;
    this.rules[h] = rule;
    return rule;
  }
}
