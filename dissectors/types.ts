// Typed records produced by the pure dissectors. Every dissector takes bytes
// (a Uint8Array view plus offsets) and returns one of these; none of them
// throws on bad input: a problem becomes an `error` string in the record.

/** One decoded IP header (v4 or v6). */
export interface IpHeader {
  version: 4 | 6;
  src: string;
  dst: string;
  /** Differentiated Services code point, 0..63 (TOS >> 2, or traffic class >> 2). */
  dscp: number;
  /** ECN codepoint, 0..3 (Not-ECT, ECT(1), ECT(0), CE). */
  ecn: number;
  ttl: number;
  /** Upper-layer protocol number (after IPv6 extension headers). */
  proto: number;
  /** IPv4 identification, or IPv6 fragment header identification. */
  id: number;
  /** Set when this header belongs to a fragment of a larger datagram. */
  fragment: IpFragmentInfo | null;
}

export interface IpFragmentInfo {
  /** Byte offset of this fragment's payload within the original datagram. */
  offset: number;
  moreFragments: boolean;
}

export type TransportName = 'udp' | 'tcp';
/** sip-tls: SIP over TLS (sealed, named only); sip-ws: SIP over WebSocket (RFC 7118). */
export type AppName = 'mds-heartbeat' | 'sip' | 'sip-tls' | 'sip-ws' | 'rtp';

export interface TcpHeader {
  seq: number;
  ack: number;
  /** Flag bits as in the header's low byte plus NS at bit 8. */
  flags: number;
  window: number;
  headerLength: number;
}

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;

export type ByteOrder = 'le' | 'be';

export interface HeartbeatRecord {
  seq: number;
  byteOrder: ByteOrder;
  /**
   * Off the heartbeat ports a stream is recognised by its shape, a few
   * datagrams in: the datagrams before this one that the recognition rests
   * on, oldest first (set on the datagram that made it), so they count too.
   */
  earlier?: EarlierHeartbeat[];
}

export interface EarlierHeartbeat {
  seq: number;
  tsSec: number;
  tsNsec: number;
}

export interface RtpRecord {
  version: number;
  payloadType: number;
  seq: number;
  timestamp: number;
  ssrc: number;
  marker: boolean;
}

/** A SIP header as it appeared: canonical (long-form, lower-case) name and raw value with folding undone. */
export interface SipHeader {
  name: string;
  value: string;
}

export interface SdpMedia {
  media: string;
  port: number;
  proto: string;
  payloadTypes: number[];
  /** Connection address for this media (media-level c= or the session-level one). */
  address: string | null;
  /** a=rtpmap entries: payload type -> "encoding/clock[/channels]". Read only: media lines with the same entries share one (dissectors/sdp.ts). */
  rtpmap: Readonly<Record<number, string>>;
}

export interface SdpRecord {
  /** Session-level c= address, if any. */
  address: string | null;
  origin: string | null;
  media: SdpMedia[];
  error?: string;
}

export interface SipMessage {
  /** Request method, when this is a request. */
  method?: string;
  requestUri?: string;
  /** Status code, when this is a response. */
  status?: number;
  reason?: string;
  version: string;
  headers: SipHeader[];
  callId: string | null;
  cseq: { seq: number; method: string } | null;
  from: string | null;
  to: string | null;
  fromTag: string | null;
  toTag: string | null;
  /** Top Via branch parameter. */
  branch: string | null;
  /** Top Via sent-by (host[:port] as written): with the branch it names an RFC 3261 transaction (17.2.3). */
  sentBy: string | null;
  contentLength: number | null;
  contentType: string | null;
  /** Total bytes of this message (start line through body) in the input. */
  length: number;
  body: Uint8Array | null;
  sdp: SdpRecord | null;
  /**
   * The message's bytes, leading CRLFs through body, as a view into the input: valid only
   * while the frame is handled, like the payload. Null when it was not held whole (a body
   * past the stream framer's limit).
   */
  raw: Uint8Array | null;
  /** Set when the message is malformed; fields above are filled as far as parsing got. */
  error?: string;
  /** Departures from the RFCs that do not stop the message being read whole (a missing Max-Forwards). */
  deviations?: string[];
}

/**
 * One source-filtered group record of an IGMPv3 or MLDv2 report (RFC 3376
 * 4.2.12, RFC 3810 5.2.12). A v1/v2 report is given as one record too:
 * joining is EXCLUDE mode with no sources, leaving INCLUDE with none.
 */
export interface GroupRecord {
  /** 1 MODE_IS_INCLUDE, 2 MODE_IS_EXCLUDE, 3 CHANGE_TO_INCLUDE, 4 CHANGE_TO_EXCLUDE, 5 ALLOW_NEW_SOURCES, 6 BLOCK_OLD_SOURCES. */
  type: number;
  group: string;
  sources: string[];
}

/** An IGMP (IPv4 protocol 2) or MLD (ICMPv6 130/131/132/143) message. */
export interface MembershipRecord {
  protocol: 'igmp' | 'mld';
  /** IGMP 1, 2 or 3; MLD 1 or 2. */
  version: number;
  /** The message type byte. */
  type: number;
  kind: 'query' | 'report' | 'leave' | 'other';
  /** The group a v1/v2 message names (a query's, "0.0.0.0" or "::" for a general one); null for a v3/v2 report. */
  group: string | null;
  /** What the report says of each group (v1/v2 reports and leaves as one record). */
  records: GroupRecord[];
  /** Query: the maximum response time in ms. */
  maxResponseMs: number | null;
  /** Set when the message is short, of an unknown type or its counts run past its end; the fields are filled as far as they could be. */
  error?: string;
}

/** Frame-level facts every record carries. */
export interface FrameInfo {
  /** 1-based frame number within the input. */
  frame: number;
  /** Whole seconds since the epoch. */
  tsSec: number;
  /** Nanoseconds within the second. */
  tsNsec: number;
  caplen: number;
  len: number;
  linkType: number;
  /** Interface index (pcapng), 0 for classic pcap. */
  iface: number;
}

/** The layered decode of one frame. */
export interface PacketRecord extends FrameInfo {
  /** caplen < len: decoded as far as the captured bytes go. */
  truncated: boolean;
  vlans: number[] | null;
  /** Innermost IP header (what DSCP and ports belong to). */
  ip: IpHeader | null;
  /** Tunnel carriers (IP-in-IP, GRE), outermost first. */
  outerIp: IpHeader[] | null;
  transport: TransportName | null;
  sport: number;
  dport: number;
  tcp: TcpHeader | null;
  /**
   * Transport payload (or, for an IP fragment not yet reassembled, the fragment's
   * share of the IP payload): a view into the frame bytes, valid only while the
   * frame is being handled.
   */
  payload: Uint8Array | null;
  app: AppName | null;
  hb: HeartbeatRecord | null;
  rtp: RtpRecord | null;
  sip: SipMessage[] | null;
  /** IGMP, or MLD in ICMPv6: group membership. */
  membership: MembershipRecord | null;
  /** First layer that failed, and why. */
  error: string | null;
  /** The pipeline's id of the UDP/TCP flow (src/pipeline/flow-table.ts); -1 until it interns one. */
  flow: number;
}

/** What a link layer decoder found: where the network layer starts and what it is. */
export interface LinkResult {
  /** EtherType of what follows, or ETHERTYPE_NONE (-1). */
  etherType: number;
  /** Offset where the network layer starts. */
  offset: number;
  vlans: number[] | null;
  error: string | null;
}
