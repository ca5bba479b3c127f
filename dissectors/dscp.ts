// DSCP / ECN naming for the IPv4 TOS byte and the IPv6 traffic class.
// PHB names follow RFC 2474 (CS), RFC 2597 (AF), RFC 3246 (EF), RFC 5865 (VOICE-ADMIT) and RFC 8622 (LE).

const PHB_NAMES = new Map<number, string>([
  [0, 'CS0'], [8, 'CS1'], [16, 'CS2'], [24, 'CS3'], [32, 'CS4'], [40, 'CS5'], [48, 'CS6'], [56, 'CS7'],
  [10, 'AF11'], [12, 'AF12'], [14, 'AF13'],
  [18, 'AF21'], [20, 'AF22'], [22, 'AF23'],
  [26, 'AF31'], [28, 'AF32'], [30, 'AF33'],
  [34, 'AF41'], [36, 'AF42'], [38, 'AF43'],
  [46, 'EF'], [44, 'VOICE-ADMIT'], [1, 'LE'],
]);

const PHB_VALUES = new Map<string, number>([...PHB_NAMES].map(([v, n]) => [n, v]));
PHB_VALUES.set('BE', 0);
PHB_VALUES.set('DF', 0);

/** PHB name of a DSCP value; unknown values are shown as their number. */
export function phbName(dscp: number): string {
  return PHB_NAMES.get(dscp) ?? String(dscp);
}

/** DSCP value for a PHB name (case-insensitive) or a decimal number 0..63; null when neither. */
export function parseDscp(text: string): number | null {
  const t = text.trim().toUpperCase();
  if (/^\d+$/.test(t)) {
    const n = Number(t);
    return n <= 63 ? n : null;
  }
  return PHB_VALUES.get(t) ?? null;
}

export const ECN_NAMES = ['Not-ECT', 'ECT(1)', 'ECT(0)', 'CE'] as const;
export type EcnName = (typeof ECN_NAMES)[number];

/** RFC 3168 codepoint name of the two ECN bits. */
export function ecnName(ecn: number): EcnName {
  return ECN_NAMES[ecn & 3];
}
