// Parsers for command-line values shared by the lab commands: durations,
// endpoints, probabilities, sequence ranges. Each failure is a UsageError
// naming the option.

import { parseDscp } from '../../dissectors/dscp.js';
import type { GilbertElliott } from '../generator/impairments.js';
import { UsageError } from '../common/errors.js';

/** "250ms", "2s", "1.5m" or a bare number of `bareUnit`; in milliseconds. */
export function durationMs(text: string, option: string, bareUnit: 'ms' | 's' = 'ms'): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new UsageError(`${option}: expected a duration like 500ms, 2s or 1m, got '${text}'`);
  const scale = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? bareUnit] ?? 1;
  return Number(m[1]) * scale;
}

/** "host:port", "[v6]:port"; the host may be a name. */
export function hostPort(text: string, option: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:\s]+)):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port < 1 || port > 65535) throw new UsageError(`${option}: expected host:port (IPv6 as [addr]:port), got '${text}'`);
  return { host: m[1] ?? m[2], port };
}

/** "port" or "addr:port" / "[v6]:port" for a local binding. */
export function localEndpoint(text: string, option: string): { bind?: string; port: number } {
  if (/^\d{1,5}$/.test(text.trim())) return { port: port(text, option) };
  const { host, port: p } = hostPort(text, option);
  return { bind: host, port: p };
}

export function port(text: string, option: string): number {
  const n = Number(text);
  if (!/^\d{1,5}$/.test(text.trim()) || n > 65535) throw new UsageError(`${option}: expected a port number, got '${text}'`);
  return n;
}

export function wholeNumber(text: string, option: string, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n > max) throw new UsageError(`${option}: expected a whole number${max < Number.MAX_SAFE_INTEGER ? ` up to ${max}` : ''}, got '${text}'`);
  return n;
}

/** "8M", "512K", "1048576": a size in bytes, between `min` and `max`. */
export function byteSize(text: string, option: string, min: number, max: number): number {
  const m = /^(\d+(?:\.\d+)?)\s*([KMG]?)i?B?$/i.exec(text.trim());
  const n = m ? Math.round(Number(m[1]) * { '': 1, K: 1024, M: 1 << 20, G: 1 << 30 }[m[2].toUpperCase() as '' | 'K' | 'M' | 'G']) : NaN;
  const human = (b: number): string => (b >= 1 << 20 ? `${b / (1 << 20)}M` : b >= 1024 ? `${b / 1024}K` : String(b));
  if (!m || !(n >= min && n <= max)) throw new UsageError(`${option}: expected a size from ${human(min)} to ${human(max)} (bytes, or with K, M, G), got '${text}'`);
  return n;
}

/** "0.01" or "1%": a probability in [0, 1]. */
export function probability(text: string, option: string): number {
  const m = /^(\d+(?:\.\d+)?)(%)?$/.exec(text.trim());
  const p = m ? Number(m[1]) / (m[2] ? 100 : 1) : NaN;
  if (!m || p > 1) throw new UsageError(`${option}: expected a probability like 0.01 or 1%, got '${text}'`);
  return p;
}

/** "10-14,20": inclusive sequence ranges. */
export function seqRanges(text: string, option: string): Array<[number, number]> {
  return text.split(',').map((part) => {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    const lo = m ? Number(m[1]) : NaN;
    const hi = m ? Number(m[2] ?? m[1]) : NaN;
    if (!m || hi < lo || hi > 0xffffffff) throw new UsageError(`${option}: expected sequence numbers or ranges like 10-14,20, got '${text}'`);
    return [lo, hi];
  });
}

export function dscp(text: string, option: string): number {
  const v = parseDscp(text);
  if (v === null) throw new UsageError(`${option}: expected a DSCP name (EF, CS3, AF31...) or a number 0-63, got '${text}'`);
  return v;
}

/** "n@seq:S" or "n@TIME": n consecutive heartbeats lost from a sequence number or a time. */
export function burst(text: string, option: string): { count: number; atSeq?: number; atMs?: number } {
  const m = /^(\d+)@(seq:(\d+)|.+)$/.exec(text);
  if (!m) throw new UsageError(`${option}: expected n@seq:S or n@TIME like 5@seq:100 or 5@2s, got '${text}'`);
  const count = wholeNumber(m[1], option);
  return m[3] !== undefined ? { count, atSeq: wholeNumber(m[3], option) } : { count, atMs: durationMs(m[2], option, 's') };
}

/** "AT+FOR" like 3s+2s. */
export function pause(text: string, option: string): { atMs: number; forMs: number } {
  const [at, len] = text.split('+');
  if (len === undefined) throw new UsageError(`${option}: expected AT+FOR like 3s+2s, got '${text}'`);
  return { atMs: durationMs(at, option, 's'), forMs: durationMs(len, option, 's') };
}

/** netem's gemodel parameters in percent: p[,r[,1-h[,1-k]]]. */
export function gemodel(text: string, option: string): GilbertElliott {
  const parts = text.split(',').map((x) => Number(x.trim().replace(/%$/, '')));
  if (parts.length < 1 || parts.length > 4 || parts.some((x) => !Number.isFinite(x) || x < 0 || x > 100)) {
    throw new UsageError(`${option}: expected p[,r[,1-h[,1-k]]] in percent like 1,25,100,0, got '${text}'`);
  }
  const [p, r, lossBad, lossGood] = parts;
  return { p, r, lossBad, lossGood };
}

/** "2s" (from the start) or "seq:N": when the sender is cycled. */
export function restartAt(text: string, option: string): { atMs?: number; atSeq?: number } {
  return text.startsWith('seq:') ? { atSeq: wholeNumber(text.slice(4), option, 0xffffffff) } : { atMs: durationMs(text, option, 's') };
}

/** A transaction timeout flag ("4s", "500ms"; a bare number is ms) as SIP analysis params; none when the flag is absent. */
export function sipTimeout(text: string | undefined, option: string): { transactionTimeoutMs?: number } {
  if (text === undefined) return {};
  const ms = durationMs(text, option);
  if (ms === 0) throw new UsageError(`${option}: must be more than 0`);
  return { transactionTimeoutMs: ms };
}
