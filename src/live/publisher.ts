// Hands the session's snapshots to a viewer (the terminal UI) at a steady
// rate: the viewer subscribes and redraws when told, and asks for a call's
// ladder when the user opens one.

import type { CallFlow } from '../sip/call-flow.js';
import type { LiveSession } from './session.js';
import type { LiveSnapshot } from './view-model.js';

export class SnapshotPublisher {
  private latest: LiveSnapshot;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly session: LiveSession, private readonly now: () => number) {
    this.latest = session.snapshot(now());
  }

  /** Take a fresh snapshot and tell every subscriber. */
  publish(): void {
    this.latest = this.session.snapshot(this.now());
    for (const l of this.listeners) l();
  }

  current(): LiveSnapshot {
    return this.latest;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  ladder(callId: string): CallFlow | null {
    return this.session.ladder(callId);
  }
}
