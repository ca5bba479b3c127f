// Where the UI gets its data: the live session (or a finished file) behind
// a small interface, so the App can be driven by a fixed snapshot in tests.

import type { LiveSnapshot } from '../live/view-model.js';
import type { CallFlow } from '../sip/call-flow.js';

export interface SnapshotSource {
  /** The newest snapshot. Must return the same object until a newer one is published (React compares by identity). */
  current(): LiveSnapshot;
  /** Called whenever a newer snapshot is available; returns an unsubscribe function. */
  subscribe(listener: () => void): () => void;
  /** The messages of one call for its ladder, or null when not kept. */
  ladder(callId: string): CallFlow | null;
}

/** A source that never changes: a finished file, or a test fixture. */
export function fixedSource(snapshot: LiveSnapshot, ladders: Record<string, CallFlow> = {}): SnapshotSource {
  // A Map, so a Call-ID such as "constructor" is not looked up on Object's prototype.
  const flows = new Map(Object.entries(ladders));
  return {
    current: () => snapshot,
    subscribe: () => () => {},
    ladder: (callId) => flows.get(callId) ?? null,
  };
}
