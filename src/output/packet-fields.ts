// `dissect -T fields -e NAME ...`: chosen fields of each packet, tab-separated,
// as tshark prints them. A field is named as the --json line names it, with
// dots for nesting (`src`, `dscp`, `sip.method`, `sip.callId`, `hb.seq`);
// `ip.addr` is either end, as tshark's. A field a packet lacks is empty.

import type { PacketJson } from './packet-line.js';
import { sanitize } from './sanitize.js';

export interface FieldsLayout {
  names: string[];
  separator: string;
  header: boolean;
}

/** The value at a dotted path; arrays give each element's, joined by commas. */
function valueAt(o: unknown, path: string[]): unknown[] {
  if (path.length === 0) return o === undefined || o === null ? [] : [o];
  if (Array.isArray(o)) return o.flatMap((x) => valueAt(x, path));
  if (o === null || typeof o !== 'object') return [];
  return valueAt((o as Record<string, unknown>)[path[0]], path.slice(1));
}

function cell(values: unknown[], separator: string): string {
  // Escaped as all text from packets is; the separator and line breaks may not appear raw in a cell.
  return values
    .map((v) => sanitize(typeof v === 'object' ? JSON.stringify(v) : String(v)).split(separator).join(separator === '\t' ? '\\t' : `\\x${separator.charCodeAt(0).toString(16).padStart(2, '0')}`))
    .join(',');
}

export function fieldsHeader(layout: FieldsLayout): string {
  return layout.names.join(layout.separator);
}

export function fieldsLine(j: PacketJson, layout: FieldsLayout): string {
  return layout.names.map((name) => {
    const values = name === 'ip.addr' ? [...valueAt(j, ['src']), ...valueAt(j, ['dst'])] : valueAt(j, name.split('.'));
    return cell(values, layout.separator);
  }).join(layout.separator);
}

/** tshark's -E options that apply: header=y|n, separator=/t|/s|CHAR. */
export function fieldsLayout(names: string[], options: string[], fail: (msg: string) => never): FieldsLayout {
  const layout: FieldsLayout = { names, separator: '\t', header: false };
  for (const o of options) {
    const [k, v] = o.split('=');
    if (k === 'header' && (v === 'y' || v === 'n')) layout.header = v === 'y';
    else if (k === 'separator' && v !== undefined && v.length > 0) layout.separator = v === '/t' ? '\t' : v === '/s' ? ' ' : v.length === 1 ? v : fail(`-E separator=${v}: expected /t, /s or one character`);
    else fail(`-E ${o}: expected header=y|n or separator=/t|/s|CHAR`);
  }
  return layout;
}
