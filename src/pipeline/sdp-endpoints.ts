// The one table of media endpoints SDP announced ("addr:port" as packets
// spell it), learned once per SIP message where records are made, and read
// by the datagram classifier (is a flow RTP?), the DSCP audit (audio or
// video?) and the media analyzer (which call, which payload map). Three
// tables of their own cost three keys, three lookups and three copies per
// SDP media line; a SIP-heavy capture announces a new endpoint in every
// INVITE and answer.
//
// Keyed by number where the address is an IPv4 address as packets spell it
// (address << 16 | port, exact in a double): no text is made or hashed per
// SDP line; other addresses are keyed by their "addr:port" text.
//
// Bounded: the least recently announced endpoints go first, counted in
// `evicted`. An analyzer fed records without a pipeline keeps one of its own.

import type { PacketRecord } from '../../dissectors/types.js';
import { BoundedMap } from '../common/bounded-map.js';
import { detach } from '../common/detach.js';
import { endpoint, mediaAddress } from './flow-key.js';

export const MAX_SDP_ENDPOINTS = 65536;
/** SDP transport protocols that carry RTP: RTP/AVP, RTP/SAVP(F), UDP/TLS/RTP/SAVPF, ... */
const RTP_PROFILE = /(^|\/)RTP\//i;

/** The last transport tested and its answer: SDP's transports are a few constants (sdp.ts), so the regex runs once per new one. */
let lastProto = '';
let lastProtoRtp = false;

function isRtpProfile(proto: string): boolean {
  if (proto !== lastProto) {
    lastProtoRtp = RTP_PROFILE.test(proto);
    lastProto = proto;
  }
  return lastProtoRtp;
}

/** What the last SDP with a Call-ID and an RTP profile said of an endpoint (the media analyzer's binding of a stream). */
export interface SdpAnnouncement {
  callId: string;
  /** The endpoint that sent the SDP, and whether it was the offer (a request) or the answer. */
  announcedBy: string;
  offer: boolean;
  /** "addr:port" the SDP announced. */
  endpoint: string;
  media: string;
  rtpmap: Readonly<Record<number, string>>;
  payloadTypes: readonly number[];
}

/** One announced endpoint. */
export interface SdpEndpoint {
  /** The last announcement's transport is an RTP profile. */
  rtp: boolean;
  /** The last announcement's media type (audio, video, image, ...). */
  media: string;
  /** The last RTP announcement with a Call-ID, or null when there was none. */
  announcement: SdpAnnouncement | null;
}

/** An announcement; its endpoint's text is made when asked for (a stream bound to it, a report). */
class Announcement implements SdpAnnouncement {
  readonly #addr: string;
  readonly #port: number;
  #endpoint: string | null = null;

  constructor(
    readonly callId: string,
    readonly announcedBy: string,
    readonly offer: boolean,
    addr: string,
    port: number,
    readonly media: string,
    readonly rtpmap: Readonly<Record<number, string>>,
    readonly payloadTypes: readonly number[],
  ) {
    this.#addr = addr;
    this.#port = port;
  }

  get endpoint(): string {
    return (this.#endpoint ??= detach(endpoint(this.#addr, this.#port)));
  }
}

const DOT = 0x2e;
const DIGIT_0 = 0x30;

/**
 * The table's key of addr:port: a number for an IPv4 address written as
 * packets write it (dotted quad, no leading zeros), else the endpoint's text.
 */
function keyOf(addr: string, port: number): number | string {
  const n = addr.length;
  let a = 0;
  let part = 0;
  let digits = 0;
  let parts = 0;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? addr.charCodeAt(i) : DOT;
    if (c === DOT) {
      if (digits === 0 || part > 255 || ++parts > 4) return endpoint(addr, port);
      a = a * 256 + part;
      part = 0;
      digits = 0;
    } else {
      const d = c - DIGIT_0;
      // A leading zero ("010") is not how packets write it: such text keys as text, as it did.
      if (d < 0 || d > 9 || (digits > 0 && part === 0) || ++digits > 3) return endpoint(addr, port);
      part = part * 10 + d;
    }
  }
  return parts === 4 ? a * 65536 + port : endpoint(addr, port);
}

/** The table's bound and what it let go of (the report says so when it let any go). */
export interface SdpTableStats {
  capacity: number;
  evicted: number;
}

export class SdpEndpoints {
  private readonly table: BoundedMap<number | string, SdpEndpoint>;
  readonly stats: SdpTableStats;
  /** Bumped when an endpoint is new or changes between RTP and other media: answers cached by flow before it are stale. */
  epoch = 0;

  constructor(max = MAX_SDP_ENDPOINTS) {
    this.table = new BoundedMap(max);
    this.stats = { capacity: max, evicted: 0 };
  }

  get size(): number {
    return this.table.size;
  }

  /** The endpoint addr:port as SDP last announced it, or undefined. */
  at(addr: string, port: number): SdpEndpoint | undefined {
    return this.table.size > 0 ? this.table.peek(keyOf(addr, port)) : undefined;
  }

  /** The endpoints a record's SIP announced. */
  learn(rec: PacketRecord): void {
    const msgs = rec.sip;
    if (msgs === null) return;
    let sender: string | null = null;
    for (const m of msgs) {
      const sdp = m.sdp;
      if (sdp === null) continue;
      for (const media of sdp.media) {
        const addr = mediaAddress(sdp, media);
        if (addr === null || addr === '' || media.port <= 0) continue;
        const at = keyOf(addr, media.port);
        const rtp = isRtpProfile(media.proto);
        let e = this.table.get(at);
        // Only news makes the flows' cached answers stale (a 200 OK or a re-INVITE repeats the offer's endpoints).
        if (e === undefined || e.rtp !== rtp) this.epoch = (this.epoch + 1) & 0x1fffffff;
        if (e === undefined) {
          e = { rtp, media: detach(media.media), announcement: null };
          this.table.set(typeof at === 'string' ? detach(at) : at, e);
          this.stats.evicted = this.table.evicted;
        } else {
          e.rtp = rtp;
          if (e.media !== media.media) e.media = detach(media.media);
        }
        if (rtp && m.callId !== null) {
          sender ??= rec.ip !== null ? endpoint(rec.ip.src, rec.sport) : '';
          e.announcement = new Announcement(detach(m.callId), sender, m.method !== undefined, detach(addr), media.port, e.media, media.rtpmap, media.payloadTypes);
        }
      }
    }
  }
}
