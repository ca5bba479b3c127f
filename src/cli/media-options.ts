// The media analysis's flags: the fixed jitter buffer the MOS assumes, and
// the thresholds --fail-on mos and --fail-on rtp-loss judge against.

import { Option } from 'commander';
import { DEFAULT_MEDIA_PARAMS, type MediaParams } from '../media/analyzer.js';
import { UsageError } from '../common/errors.js';
import { DEFAULT_SERIES_LIMITS } from '../media/stream-series.js';

export interface MediaFlags {
  jitterBuffer?: string;
  mosThreshold?: string;
  rtpLossThreshold?: string;
  rtpSeries?: boolean;
}

export interface MediaLimits {
  /** A call or stream scoring below this MOS is a finding. */
  mos: number;
  /** A stream losing more than this % of its packets is a finding. */
  rtpLossPercent: number;
}

export const DEFAULT_MEDIA_LIMITS: MediaLimits = { mos: 3.6, rtpLossPercent: 1 };

/** The one media flag the live views take too: their MOS is analyze's. */
export const jitterBufferOption = (): Option =>
  new Option('--jitter-buffer <ms>', `fixed jitter buffer the MOS assumes: later packets count as lost to the listener (default ${DEFAULT_MEDIA_PARAMS.jitterBufferMs})`);

export const mediaOptions = (): Option[] => [
  jitterBufferOption(),
  new Option('--mos-threshold <mos>', `with --fail-on mos: a call below this MOS fails (default ${DEFAULT_MEDIA_LIMITS.mos})`),
  new Option('--rtp-series', `with --json: each RTP stream's jitter and loss per ${DEFAULT_SERIES_LIMITS.baseSeconds} s (buckets widened past ${DEFAULT_SERIES_LIMITS.maxBucketsPerStream} a stream, ${DEFAULT_SERIES_LIMITS.maxBuckets} in all)`),
  new Option('--rtp-loss-threshold <percent>', `with --fail-on rtp-loss: a stream losing more than this % fails (default ${DEFAULT_MEDIA_LIMITS.rtpLossPercent})`),
];

function number(text: string, flag: string, min: number, max: number): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || v < min || v > max) throw new UsageError(`${flag}: expected a number from ${min} to ${max}, got '${text}'`);
  return v;
}

export function mediaParams(f: MediaFlags): Partial<MediaParams> {
  return f.jitterBuffer === undefined ? {} : { jitterBufferMs: number(f.jitterBuffer, '--jitter-buffer', 0, 10_000) };
}

export function mediaLimits(f: MediaFlags): MediaLimits {
  return {
    mos: f.mosThreshold === undefined ? DEFAULT_MEDIA_LIMITS.mos : number(f.mosThreshold, '--mos-threshold', 1, 4.5),
    rtpLossPercent: f.rtpLossThreshold === undefined ? DEFAULT_MEDIA_LIMITS.rtpLossPercent : number(f.rtpLossThreshold, '--rtp-loss-threshold', 0, 100),
  };
}
