// Hands the session's snapshots to a viewer (the terminal UI) at a steady
// rate: the viewer subscribes and redraws when told, and asks for a call's
// ladder, a message as sent, a search of the kept messages, or a call saved.

import type { CallFlow } from '../sip/call-flow.js';
import type { LiveSession } from './session.js';
import type { LiveSnapshot, LoadProgress } from './view-model.js';

export interface PublisherOptions {
  /** How far a file being read has got; null once it is read (or for a live source). */
  loading?: () => LoadProgress | null;
  /** Write one call to pcapng; resolves with a line saying what was written. Absent: the source cannot (a live interface). */
  saveCall?: (callId: string) => Promise<string>;
}

export class SnapshotPublisher {
  private latest: LiveSnapshot;
  private readonly listeners = new Set<() => void>();
  readonly saveCall: ((callId: string) => Promise<string>) | undefined;

  constructor(private readonly session: LiveSession, private readonly now: () => number, private readonly opts: PublisherOptions = {}) {
    this.latest = this.take();
    this.saveCall = opts.saveCall;
  }

  /** Take a fresh snapshot and tell every subscriber. */
  publish(): void {
    this.latest = this.take();
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

  rawMessage(callId: string, index: number): string | null {
    return this.session.rawMessage(callId, index);
  }

  searchMessages(re: RegExp): Map<string, number[]> {
    return this.session.searchMessages(re);
  }

  private take(): LiveSnapshot {
    const snap = this.session.snapshot(this.now());
    const loading = this.opts.loading?.() ?? null;
    return loading === null ? snap : { ...snap, loading };
  }
}
