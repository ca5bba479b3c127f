// Small wordings every text output shares.

/** "1 link", "3 links". */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** A time as a signed offset from `origin` in seconds, to the millisecond unless told ("+12.500", "-0.100"); "-" for none. */
export function signedOffset(t: number | null, origin: number, digits = 3): string {
  if (t === null) return '-';
  const d = t - origin;
  return `${d < 0 ? '-' : '+'}${Math.abs(d).toFixed(digits)}`;
}
