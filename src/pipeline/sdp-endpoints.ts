// The one table of media endpoints SDP announced ("addr:port" as packets
// spell it), learned once per SIP message where records are made, and read
// by the datagram classifier (is a flow RTP?), the DSCP audit (audio or
// video?) and the media analyzer (which call, which payload map). Three
// tables of their own cost three keys, three lookups and three copies per
// SDP media line; a SIP-heavy capture announces a new endpoint in every
// INVITE and answer.
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
  /** "addr:port", the table's key. */
  readonly endpoint: string;
  /** The last announcement's transport is an RTP profile. */
  rtp: boolean;
  /** The last announcement's media type (audio, video, image, ...). */
  media: string;
  /** The last RTP announcement with a Call-ID, or null when there was none. */
  announcement: SdpAnnouncement | null;
}

export class SdpEndpoints {
  private readonly table: BoundedMap<string, SdpEndpoint>;
  /** Bumped when an endpoint is new or changes between RTP and other media: answers cached by flow before it are stale. */
  epoch = 0;

  constructor(max = MAX_SDP_ENDPOINTS) {
    this.table = new BoundedMap(max);
  }

  get size(): number {
    return this.table.size;
  }

  /** Endpoints dropped to stay bounded. */
  get evicted(): number {
    return this.table.evicted;
  }

  /** The endpoint addr:port as SDP last announced it, or undefined. */
  at(addr: string, port: number): SdpEndpoint | undefined {
    return this.table.size > 0 ? this.table.peek(endpoint(addr, port)) : undefined;
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
        const at = endpoint(addr, media.port);
        const rtp = RTP_PROFILE.test(media.proto);
        let e = this.table.get(at);
        // Only news makes the flows' cached answers stale (a 200 OK or a re-INVITE repeats the offer's endpoints).
        if (e === undefined || e.rtp !== rtp) this.epoch = (this.epoch + 1) & 0x1fffffff;
        if (e === undefined) {
          e = { endpoint: detach(at), rtp, media: detach(media.media), announcement: null };
          this.table.set(e.endpoint, e);
        } else {
          e.rtp = rtp;
          if (e.media !== media.media) e.media = detach(media.media);
        }
        if (rtp && m.callId !== null) {
          sender ??= rec.ip !== null ? endpoint(rec.ip.src, rec.sport) : '';
          e.announcement = {
            callId: detach(m.callId), announcedBy: sender, offer: m.method !== undefined, endpoint: e.endpoint,
            media: e.media, rtpmap: media.rtpmap, payloadTypes: media.payloadTypes,
          };
        }
      }
    }
  }
}
