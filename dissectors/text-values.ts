// Values read where they stand in a message's text (SIP, SDP), no string made
// until one is kept: a run that spells one of a few constants, a run of
// digits.

/** Constants by shape, length << 7 | first char (below 128): see constantIn. */
export type ConstantTable = ReadonlyArray<readonly string[] | undefined>;

/** A table of `constants` (ASCII) for constantIn: a text is compared with the one or two of its shape, not with every constant. */
export function byShape(constants: readonly string[]): ConstantTable {
  const longest = Math.max(...constants.map((c) => c.length));
  // Filled to its end: a packed array, not a sparse one (slower to read).
  const table = new Array<string[] | undefined>((longest + 1) << 7).fill(undefined);
  for (const c of constants) (table[(c.length << 7) | c.charCodeAt(0)] ??= []).push(c);
  return table;
}

/** The constant of `table` that s[start..end) spells (the same string object each time), or null. */
export function constantIn(table: ConstantTable, s: string, start: number, end: number): string | null {
  const c0 = s.charCodeAt(start);
  const shape = ((end - start) << 7) | c0;
  if (!(c0 < 128) || !(shape < table.length)) return null;
  const candidates = table[shape];
  if (candidates === undefined) return null;
  for (const c of candidates) if (s.startsWith(c, start)) return c;
  return null;
}

/**
 * The number the digits s[start..end) spell, or -1 when the run is empty or
 * holds anything else. Exact to 15 digits; past 2**53 rounded like Number(),
 * far above any bound it is checked against either way.
 */
export function digitsValue(s: string, start: number, end: number): number {
  if (end <= start) return -1;
  let n = 0;
  for (let k = start; k < end; k++) {
    const c = s.charCodeAt(k);
    if (c < 0x30 || c > 0x39) return -1;
    n = n * 10 + (c - 0x30);
  }
  return n;
}
