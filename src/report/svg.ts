// Markup building for the HTML report and its SVG plots. Every string that
// reaches the document goes through `text()` (escaped) or is built by `el()`
// (attribute values escaped); the `Markup` brand makes the compiler reject a
// raw string where escaped markup is expected, so a SIP header carrying
// `<script>` or terminal escapes cannot slip in unescaped.

import { sanitize } from '../output/sanitize.js';

declare const MARKUP: unique symbol;
/** A string that is safe to put into the document as it is. */
export type Markup = string & { readonly [MARKUP]: true };

/** Characters that are not allowed (or not wise) in an HTML/XML text node or attribute. */
// Lone surrogates (binary garbage decoded as text) and the noncharacters U+FFFE/U+FFFF; C0/C1 controls are sanitize()'s.
const INVALID = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]|[\ufffe\uffff]/g;

const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Text from anywhere (packets included) as document text: control characters
 * and escape sequences made visible as \xNN (as the terminal output does),
 * invalid code units as U+FFFD, and the HTML specials as entities.
 */
export function text(s: string | number): Markup {
  const str = typeof s === 'number' ? String(s) : sanitize(s).replace(INVALID, '\ufffd');
  return str.replace(/[&<>"']/g, (c) => ENTITIES[c]) as Markup;
}

/** Trusted markup written in this code (constants, already-built fragments). */
export function raw(s: string): Markup {
  return s as Markup;
}

/** Concatenate fragments. */
export function join(parts: readonly Markup[], sep = ''): Markup {
  return parts.join(sep) as Markup;
}

/** No content. */
export const EMPTY = '' as Markup;

export type AttrValue = string | number | boolean | null | undefined;
export type Attrs = Readonly<Record<string, AttrValue>>;

/** A number as an SVG coordinate: at most two decimals, no "-0". */
export function num(v: number): string {
  const r = Math.round(v * 100) / 100;
  return Object.is(r, -0) ? '0' : String(r);
}

function attrText(attrs: Attrs): string {
  let out = '';
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (!/^[a-zA-Z_:][-a-zA-Z0-9_:.]*$/.test(k)) throw new Error(`bad attribute name ${k}`);
    out += v === true ? ` ${k}` : ` ${k}="${typeof v === 'number' ? num(v) : text(v)}"`;
  }
  return out;
}

/** An element; void when `children` is null (e.g. <line/> in SVG, <meta> in HTML). */
export function el(name: string, attrs: Attrs = {}, children: Markup | readonly Markup[] | null = EMPTY): Markup {
  if (!/^[a-zA-Z][a-zA-Z0-9-]*$/.test(name)) throw new Error(`bad element name ${name}`);
  if (children === null) return `<${name}${attrText(attrs)}/>` as Markup;
  const inner = typeof children === 'string' ? children : children.join('');
  return `<${name}${attrText(attrs)}>${inner}</${name}>` as Markup;
}

/** An SVG text element; `s` is escaped. */
export function svgText(x: number, y: number, s: string, attrs: Attrs = {}): Markup {
  return el('text', { x, y, ...attrs }, text(s));
}

/** Shorten text to `max` characters, marking the cut with an ellipsis. */
export function clip(s: string, max: number): string {
  if (max <= 0) return '';
  const chars = [...s];
  return chars.length <= max ? s : `${chars.slice(0, Math.max(1, max - 1)).join('')}…`;
}

/** Rough width of text in the report's sans font (`em` per character: about 0.58, 0.64 bold): enough to keep labels apart, not to typeset. */
export function textWidth(s: string, fontPx: number, em = 0.58): number {
  return [...s].length * fontPx * em;
}
