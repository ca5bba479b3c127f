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
  /** Message `index` of a call's ladder as sent (packet text, not escaped yet), or null when not kept. */
  rawMessage?(callId: string, index: number): string | null;
  /** Calls with kept messages whose text matches, and the indexes of those messages. */
  searchMessages?(re: RegExp): ReadonlyMap<string, number[]>;
  /** Write the call to pcapng; resolves with a line to show. Absent when the source cannot. */
  saveCall?: ((callId: string) => Promise<string>) | undefined;
}

export interface FixedSourceExtras {
  /** Call-ID -> its messages as sent, in ladder order. */
  raw?: Record<string, string[]>;
  saveCall?: (callId: string) => Promise<string>;
}

/** A source that never changes: a finished file, or a test fixture. */
export function fixedSource(snapshot: LiveSnapshot, ladders: Record<string, CallFlow> = {}, extras: FixedSourceExtras = {}): SnapshotSource {
  // A Map, so a Call-ID such as "constructor" is not looked up on Object's prototype.
  const flows = new Map(Object.entries(ladders));
  const raw = new Map(Object.entries(extras.raw ?? {}));
  return {
    current: () => snapshot,
    subscribe: () => () => {},
    ladder: (callId) => flows.get(callId) ?? null,
    rawMessage: (callId, index) => raw.get(callId)?.[index] ?? null,
    searchMessages(re) {
      const out = new Map<string, number[]>();
      for (const [callId, texts] of raw) {
        const hits = texts.flatMap((t, i) => (re.test(t) ? [i] : []));
        if (hits.length) out.set(callId, hits);
      }
      return out;
    },
    saveCall: extras.saveCall,
  };
}
