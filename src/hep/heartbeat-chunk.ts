// Heartbeat events (src/heartbeat/events.ts) as HEPv3 packets.
//
// Each event goes out as one HEP packet that any Homer stores as a log entry:
//   protocol type 100 (JSON/log), payload = the event as JSON
//   ({"source":"ucprobe","type":"failover","time":...} with the fields of
//   src/heartbeat/events.ts), correlation id = the stream key
//   ("10.10.2.11:39601>10.10.1.11:39600"; for a reset with no failover, the
//   reset's own flow key), timestamp = the event time, addresses and ports =
//   the heartbeat stream's sender (src) and receiver (dst), IP protocol 17
//   (for reset and unexplained-reset: the reset's TCP endpoints, protocol 6).
//
// The same event also travels in a custom chunk, so a program can read it
// without parsing JSON:
//
//   vendor id 0x7563 (ASCII "uc"), chunk type 0x0101, length 6 + 32 = 38
//
//   offset  size  field
//        0     1  layout version, 1
//        1     1  event code: 1 loss, 2 failover, 3 recovery, 4 restart,
//                 5 reset, 6 unexplained-reset
//        2     1  flags: bit n (n = 0..4) set = field A..E below is present;
//                 bit 7 = restart to near 0 (a clean sender restart)
//        3     1  reserved, 0
//        4     4  event time, seconds since the epoch        (u32)
//        8     4  event time, microseconds                    (u32)
//       12     4  A: loss afterSeq | failover lastSeq | recovery seq |
//                    restart fromSeq                          (u32)
//       16     4  B: loss nextSeq | restart toSeq             (u32)
//       20     4  C: loss misses (deadlines missed in a row)  (u32)
//       24     4  D: loss lost (sequence numbers never seen)  (u32)
//       28     4  E: loss silence (resumed - last heard) | failover silence
//                    (time - last heard) | recovery down time | reset delay
//                    after its failover, in microseconds      (i32)
//
// All big-endian, as the rest of HEP. A field whose flag bit is clear is 0
// and means "not known" (a loss still open at the end of the capture has no
// nextSeq). The stream itself is in the HEP header (addresses, ports) and the
// correlation id.
//
// Why 0x7563: the HEP3 specification assigns vendor ids 0x0001-0x0008
// (FreeSWITCH, Kamailio/SER, OpenSIPS, Asterisk, Homer, SipXecs, Yeti,
// Genesys); 0x7563 is far from them and from the sequential assignments to
// come. Collectors skip chunks of vendors they do not know (sngrep, Kamailio
// sipcapture); heplify-server ignores the vendor id and switches on the type
// alone, so the type is 0x0101, above every generic type (0x0001-0x0030s), so
// that it is never taken for a generic chunk.

import type { HeartbeatEvent, HeartbeatEventType } from '../heartbeat/events.js';
import { HEP_PROTO_TYPE, type HepChunk, type HepRecord } from '../../dissectors/hep.js';
import type { HepMessage } from './encode.js';

export const UCPROBE_HEP_VENDOR = 0x7563;
export const HB_EVENT_CHUNK_TYPE = 0x0101;
export const HB_EVENT_LAYOUT_VERSION = 1;
export const HB_EVENT_BODY_LEN = 32;
export const HB_EVENT_FIELD = { VERSION: 0, CODE: 1, FLAGS: 2, RESERVED: 3, TIME_SEC: 4, TIME_USEC: 8, A: 12, B: 16, C: 20, D: 24, E: 28 } as const;

export const HB_EVENT_CODE: Readonly<Record<HeartbeatEventType, number>> = {
  loss: 1, failover: 2, recovery: 3, restart: 4, reset: 5, 'unexplained-reset': 6, 'monitor-stalled': 7,
};
const TYPE_OF_CODE = new Map<number, HeartbeatEventType>(Object.entries(HB_EVENT_CODE).map(([t, c]) => [c, t as HeartbeatEventType]));

const FLAG_A = 0x01;
const FLAG_B = 0x02;
const FLAG_C = 0x04;
const FLAG_D = 0x08;
const FLAG_E = 0x10;
const FLAG_NEAR_ZERO = 0x80;

const IPPROTO_UDP = 17;
const IPPROTO_TCP = 6;

/** The chunk's fields, decoded; null for a field not present. */
export interface HeartbeatChunkFields {
  type: HeartbeatEventType;
  tsSec: number;
  tsUsec: number;
  a: number | null;
  b: number | null;
  c: number | null;
  d: number | null;
  /** Microseconds. */
  e: number | null;
  nearZero: boolean;
}

const us = (sec: number): number => Math.round(sec * 1e6);

function splitTime(t: number): { sec: number; usec: number } {
  const total = us(t);
  const sec = Math.floor(total / 1e6);
  return { sec, usec: total - sec * 1e6 };
}

/** The fields an event puts in the chunk (see the table above). */
export function heartbeatChunkFields(e: HeartbeatEvent): HeartbeatChunkFields {
  const { sec, usec } = splitTime(e.time);
  const f: HeartbeatChunkFields = { type: e.type, tsSec: sec, tsUsec: usec, a: null, b: null, c: null, d: null, e: null, nearZero: false };
  switch (e.type) {
    case 'loss':
      f.a = e.afterSeq;
      f.b = e.nextSeq;
      f.c = e.misses;
      f.d = e.lost;
      f.e = e.resumed === null ? null : us(e.resumed - e.lastHeard);
      break;
    case 'failover':
      f.a = e.lastSeq;
      f.e = us(e.time - e.lastHeard);
      break;
    case 'recovery':
      f.a = e.seq;
      f.e = Math.round(e.downMs * 1000);
      break;
    case 'restart':
      f.a = e.fromSeq;
      f.b = e.toSeq;
      f.nearZero = e.nearZero;
      break;
    case 'reset':
    case 'unexplained-reset':
      f.e = e.delayMs === null ? null : Math.round(e.delayMs * 1000);
      break;
    case 'monitor-stalled':
      f.a = e.lastSeq;
      f.c = e.drops;
      f.e = us(e.time - e.lastHeard);
      break;
  }
  return f;
}

/** The chunk's 32 data bytes. */
export function encodeHeartbeatChunk(f: HeartbeatChunkFields): Uint8Array {
  const out = new Uint8Array(HB_EVENT_BODY_LEN);
  const v = new DataView(out.buffer);
  let flags = f.nearZero ? FLAG_NEAR_ZERO : 0;
  const put = (off: number, bit: number, x: number | null, signed = false): void => {
    if (x === null) return;
    flags |= bit;
    if (signed) v.setInt32(off, Math.max(-0x80000000, Math.min(0x7fffffff, x)));
    else v.setUint32(off, x >>> 0);
  };
  out[HB_EVENT_FIELD.VERSION] = HB_EVENT_LAYOUT_VERSION;
  out[HB_EVENT_FIELD.CODE] = HB_EVENT_CODE[f.type];
  v.setUint32(HB_EVENT_FIELD.TIME_SEC, f.tsSec >>> 0);
  v.setUint32(HB_EVENT_FIELD.TIME_USEC, f.tsUsec >>> 0);
  put(HB_EVENT_FIELD.A, FLAG_A, f.a);
  put(HB_EVENT_FIELD.B, FLAG_B, f.b);
  put(HB_EVENT_FIELD.C, FLAG_C, f.c);
  put(HB_EVENT_FIELD.D, FLAG_D, f.d);
  put(HB_EVENT_FIELD.E, FLAG_E, f.e, true);
  out[HB_EVENT_FIELD.FLAGS] = flags;
  return out;
}

/** Reads a chunk's data back; a string says what is wrong with it. Never throws. */
export function decodeHeartbeatChunk(data: Uint8Array): HeartbeatChunkFields | string {
  if (data.length < HB_EVENT_BODY_LEN) return `heartbeat chunk: ${data.length} bytes, layout 1 has ${HB_EVENT_BODY_LEN}`;
  if (data[HB_EVENT_FIELD.VERSION] !== HB_EVENT_LAYOUT_VERSION) return `heartbeat chunk: layout version ${data[HB_EVENT_FIELD.VERSION]}, this reader knows ${HB_EVENT_LAYOUT_VERSION}`;
  const type = TYPE_OF_CODE.get(data[HB_EVENT_FIELD.CODE]);
  if (type === undefined) return `heartbeat chunk: unknown event code ${data[HB_EVENT_FIELD.CODE]}`;
  const v = new DataView(data.buffer, data.byteOffset, data.length);
  const flags = data[HB_EVENT_FIELD.FLAGS];
  const get = (off: number, bit: number, signed = false): number | null => (flags & bit ? (signed ? v.getInt32(off) : v.getUint32(off)) : null);
  return {
    type,
    tsSec: v.getUint32(HB_EVENT_FIELD.TIME_SEC),
    tsUsec: v.getUint32(HB_EVENT_FIELD.TIME_USEC),
    a: get(HB_EVENT_FIELD.A, FLAG_A),
    b: get(HB_EVENT_FIELD.B, FLAG_B),
    c: get(HB_EVENT_FIELD.C, FLAG_C),
    d: get(HB_EVENT_FIELD.D, FLAG_D),
    e: get(HB_EVENT_FIELD.E, FLAG_E, true),
    nearZero: (flags & FLAG_NEAR_ZERO) !== 0,
  };
}

/** One end of a flow key: "10.0.0.1:5060" or "[fd00::1]:5060". */
function parseEndpoint(text: string): { addr: string; port: number } | null {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  return m ? { addr: m[1] ?? m[2], port: Number(m[3]) } : null;
}

/** A directional flow key as src/pipeline/flow-key.ts writes it, back into its parts. */
export function parseFlowKey(key: string): { src: string; sport: number; dst: string; dport: number } | null {
  const i = key.indexOf('>');
  if (i < 0) return null;
  const a = parseEndpoint(key.slice(0, i));
  const b = parseEndpoint(key.slice(i + 1));
  return a && b ? { src: a.addr, sport: a.port, dst: b.addr, dport: b.port } : null;
}

/** The stream's sender and receiver; for a reset, its TCP endpoints. */
function endpointsOf(e: HeartbeatEvent): { src: string; sport: number; dst: string; dport: number } | null {
  switch (e.type) {
    case 'reset':
    case 'unexplained-reset':
      return { src: e.src, sport: e.sport, dst: e.dst, dport: e.dport };
    default:
      return parseFlowKey(e.stream);
  }
}

const jsonBytes = new TextEncoder();

/** The HEP message for one event; null when its stream key cannot be read back (not one of ours). */
export function heartbeatEventHep(e: HeartbeatEvent, captureId: number, authKey: string | null): HepMessage | null {
  const isReset = e.type === 'reset' || e.type === 'unexplained-reset';
  const ends = endpointsOf(e);
  if (!ends) return null;
  const v6 = ends.src.includes(':');
  if (v6 !== ends.dst.includes(':')) return null;
  const fields = heartbeatChunkFields(e);
  const correlationId = e.stream ?? `${v6 ? `[${ends.src}]` : ends.src}:${ends.sport}>${v6 ? `[${ends.dst}]` : ends.dst}:${ends.dport}`;
  const chunk: HepChunk = { vendor: UCPROBE_HEP_VENDOR, type: HB_EVENT_CHUNK_TYPE, data: encodeHeartbeatChunk(fields) };
  return {
    ipFamily: v6 ? 6 : 4,
    ipProto: isReset ? IPPROTO_TCP : IPPROTO_UDP,
    src: ends.src,
    dst: ends.dst,
    sport: ends.sport,
    dport: ends.dport,
    tsSec: fields.tsSec,
    tsUsec: fields.tsUsec,
    protoType: HEP_PROTO_TYPE.JSON_LOG,
    captureId,
    authKey,
    correlationId,
    vendorChunks: [chunk],
    payload: jsonBytes.encode(JSON.stringify({ source: 'ucprobe', ...e })),
  };
}

const EVENT_TYPES: ReadonlySet<string> = new Set<HeartbeatEventType>(Object.keys(HB_EVENT_CODE) as HeartbeatEventType[]);

/**
 * Another ucprobe's heartbeat event, from the JSON payload of a HEP packet
 * that carries our chunk; null for any other packet. The payload is checked
 * only as far as the views use it (type, time, stream).
 */
export function heartbeatEventFromHep(h: HepRecord): HeartbeatEvent | null {
  if (h.protoType !== HEP_PROTO_TYPE.JSON_LOG || h.payload === null) return null;
  if (!h.vendorChunks.some((c) => c.vendor === UCPROBE_HEP_VENDOR && c.type === HB_EVENT_CHUNK_TYPE)) return null;
  let e: unknown;
  try {
    e = JSON.parse(new TextDecoder().decode(h.payload));
  } catch {
    return null;
  }
  if (typeof e !== 'object' || e === null) return null;
  const o = e as Record<string, unknown>;
  const streamOk = typeof o.stream === 'string' || (o.stream === null && (o.type === 'reset' || o.type === 'unexplained-reset'));
  if (o.source !== 'ucprobe' || typeof o.type !== 'string' || !EVENT_TYPES.has(o.type) || typeof o.time !== 'number' || !streamOk) return null;
  const { source: _source, ...event } = o;
  return event as unknown as HeartbeatEvent;
}
