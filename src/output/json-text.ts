// JSON for the terminal and for files: JSON.stringify escapes C0 controls
// (\u001b) but passes DEL, the C1 controls (U+0080..U+009F: U+009B is a
// one-character CSI) and the Unicode line separators and bidi overrides as
// they are, so text from packets could still drive a terminal that shows the
// JSON. They can only stand inside strings, where \uXXXX is the same text.

const RAW = '[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]';
/** One to ask whether there is any (no lastIndex to carry between calls), one to replace them all. */
const ANY_RAW = new RegExp(RAW);
const EVERY_RAW = new RegExp(RAW, 'g');

/**
 * The version of the JSON documents' shape (analyze --json: src/output/analyze.schema.json),
 * written first in each as `schemaVersion`; raised when a field changes meaning or goes.
 */
export const JSON_SCHEMA_VERSION = 1;

const escape = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** JSON.stringify(value, null, indent), with no control character left raw. */
export function jsonText(value: unknown, indent?: number): string {
  const text = JSON.stringify(value, null, indent);
  return ANY_RAW.test(text) ? text.replace(EVERY_RAW, escape) : text;
}
