// One call to pcapng, as sngrep saves it: its SIP messages and the RTP/RTCP
// its SDP announced, nothing else. `sip save` and the terminal UI's `s` key
// both use it; it reads the capture twice (the SDP first, then the media it
// announced), so it needs a file, not a pipe.

import { Pipeline, type PipelineConsumer, type PipelineOptions, type RecordConsumer } from '../pipeline/pipeline.js';
import { readCapture } from '../sources/capture-reader.js';
import { CaptureError, newFacts, type CaptureFacts } from '../sources/types.js';
import { RingCaptureWriter } from '../writer/ring-writer.js';
import { endpoint, mediaAddress } from '../pipeline/flow-key.js';

/**
 * One pass over a capture; a read error after some records is returned, not
 * thrown, so what was read can still be shown. Consumers of the lane
 * (analyzers) get datagrams read in place, as analyze's do, while no
 * consumer takes every record.
 */
export async function readPass(file: string, consumers: PipelineConsumer[], opts: Partial<PipelineOptions>): Promise<{ facts: CaptureFacts; error: string | null }> {
  const pipeline = new Pipeline(consumers, opts);
  const facts = newFacts();
  try {
    await readCapture(file, pipeline, facts);
  } catch (e) {
    if (!(e instanceof CaptureError) || facts.format === null) throw e;
    return { facts, error: e.message };
  }
  return { facts, error: null };
}

/**
 * The media endpoints ("addr:port") every SDP of the call announced, with
 * the port above each for its RTCP (RFC 3550's default pairing).
 */
function callMediaEndpoints(callId: string): { add: RecordConsumer; endpoints: Set<string>; messages: () => number } {
  const endpoints = new Set<string>();
  let messages = 0;
  const add: RecordConsumer = (rec) => {
    for (const m of rec.sip ?? []) {
      if (m.callId !== callId) continue;
      messages++;
      for (const md of m.sdp?.media ?? []) {
        const addr = m.sdp ? mediaAddress(m.sdp, md) : null;
        if (addr === null || md.port === 0) continue;
        endpoints.add(endpoint(addr, md.port));
        endpoints.add(endpoint(addr, md.port + 1));
      }
    }
  };
  return { add, endpoints, messages: () => messages };
}

export interface SavedCall {
  packets: number;
  messages: number;
  mediaEndpoints: number;
  /** The second pass's facts (its warnings). */
  facts: CaptureFacts;
}

/** Write the call's packets from `file` to `out`; null (and no file) when no SIP message has the Call-ID. */
export async function saveCall(file: string, callId: string, out: string, opts: Partial<PipelineOptions>): Promise<SavedCall | null> {
  const media = callMediaEndpoints(callId);
  const first = await readPass(file, [media.add], opts);
  if (media.messages() === 0) {
    if (first.error !== null) throw new CaptureError(first.error);
    return null;
  }
  // Second pass: the call's messages, and datagrams to or from an announced media endpoint.
  const writer = new RingCaptureWriter({ path: out });
  const keep: RecordConsumer = (rec) => {
    const ours = rec.sip?.some((m) => m.callId === callId) ?? false;
    const mediaOfIt = rec.transport === 'udp' && rec.ip !== null && (media.endpoints.has(endpoint(rec.ip.src, rec.sport)) || media.endpoints.has(endpoint(rec.ip.dst, rec.dport)));
    if (ours || mediaOfIt) writer.writeFrameOf(rec);
  };
  const pipeline = new Pipeline([keep], opts);
  const facts = newFacts();
  try {
    await readCapture(file, writer.tap(pipeline.frame), facts);
  } finally {
    writer.close();
  }
  return { packets: writer.packets, messages: media.messages(), mediaEndpoints: media.endpoints.size / 2, facts };
}
