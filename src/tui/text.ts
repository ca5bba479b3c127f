// Text cut to terminal cells. The UI lays out its own columns instead of
// letting ink wrap: a wrapped line would push the frame past the terminal's
// rows, so every line is cut to its width, with '~' marking the cut.

/** A run of text drawn with one style. */
export interface Seg {
  text: string;
  color?: string;
  bold?: boolean;
  dim?: boolean;
  inverse?: boolean;
}

export type SegStyle = Omit<Seg, 'text'>;

/**
 * A color, or none when NO_COLOR is set to anything but '' (https://no-color.org):
 * the UI then tells states by words, bold and inverse alone. Asked at each
 * render, so a test can set it.
 */
export function tint(color: string | undefined): string | undefined {
  const off = process.env.NO_COLOR;
  return off !== undefined && off !== '' ? undefined : color;
}

// East Asian wide and emoji ranges take two cells; combining marks and
// zero-width characters none (sanitize() leaves them, they are printable).
const WIDE: ReadonlyArray<readonly [number, number]> = [
  [0x1100, 0x115f], [0x2e80, 0x303e], [0x3041, 0x33ff], [0x3400, 0x4dbf], [0x4e00, 0x9fff],
  [0xa000, 0xa4cf], [0xac00, 0xd7a3], [0xf900, 0xfaff], [0xfe30, 0xfe4f], [0xff00, 0xff60],
  [0xffe0, 0xffe6], [0x1f300, 0x1f64f], [0x1f900, 0x1f9ff], [0x20000, 0x3fffd],
];
const ZERO: ReadonlyArray<readonly [number, number]> = [
  [0x0300, 0x036f], [0x200b, 0x200f], [0xfe00, 0xfe0f], [0xfeff, 0xfeff],
];

function within(cp: number, ranges: ReadonlyArray<readonly [number, number]>): boolean {
  return ranges.some(([lo, hi]) => cp >= lo && cp <= hi);
}

/** Terminal cells one code point takes. */
export function charWidth(cp: number): number {
  if (cp < 0x300) return 1;
  if (within(cp, ZERO)) return 0;
  return within(cp, WIDE) ? 2 : 1;
}

export function textWidth(text: string): number {
  let w = 0;
  for (const ch of text) w += charWidth(ch.codePointAt(0) ?? 0);
  return w;
}

/** The text cut to at most `width` cells; a cut ends in '~' (`more`: more text follows, so cut anyway). */
export function cut(text: string, width: number, more = false): string {
  if (width <= 0) return '';
  if (!more && textWidth(text) <= width) return text;
  let out = '';
  let w = 0;
  for (const ch of text) {
    const cw = charWidth(ch.codePointAt(0) ?? 0);
    if (w + cw > width - 1) break;
    out += ch;
    w += cw;
  }
  return `${out}~`;
}

/** The text in at most `width` cells, its middle replaced by '~' when it does not fit: both ends stay (a flow's near and far end). */
export function cutMiddle(text: string, width: number): string {
  if (textWidth(text) <= width) return text;
  if (width <= 2) return cut(text, width);
  const chars = [...text];
  const tail: string[] = [];
  let w = 0;
  const half = Math.floor((width - 1) / 2);
  for (let i = chars.length - 1; i >= 0; i--) {
    const cw = charWidth(chars[i].codePointAt(0) ?? 0);
    if (w + cw > half) break;
    tail.unshift(chars[i]);
    w += cw;
  }
  const head = cut(chars.slice(0, chars.length - tail.length).join(''), width - w, true);
  return head + tail.join('');
}

/** Cut and padded to exactly `width` cells. */
export function fit(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  const t = cut(text, width);
  const pad = ' '.repeat(Math.max(0, width - textWidth(t)));
  return align === 'right' ? pad + t : t + pad;
}

/** The cells from `start` on, cut to `width` (horizontal scrolling of wide lines). */
export function sliceCells(text: string, start: number, width: number): string {
  let w = 0;
  let i = 0;
  const chars = [...text];
  while (i < chars.length && w < start) w += charWidth(chars[i++].codePointAt(0) ?? 0);
  return cut(chars.slice(i).join(''), width);
}

/** Segments cut together to `width` cells (the last one kept ends in '~') and padded to it. */
export function fitSegs(segs: Seg[], width: number): Seg[] {
  const out: Seg[] = [];
  const total = segs.reduce((n, s) => n + textWidth(s.text), 0);
  let room = Math.max(0, width);
  if (total <= room) {
    out.push(...segs.filter((s) => s.text !== ''));
    if (total < room) out.push({ text: ' '.repeat(room - total) });
    return out;
  }
  for (const s of segs) {
    const w = textWidth(s.text);
    if (w < room) {
      out.push(s);
      room -= w;
      continue;
    }
    // This segment holds the cut; cut() ends it in '~' and may leave a cell over a wide character.
    const c = cut(s.text, room, true);
    out.push({ ...s, text: c });
    const left = room - textWidth(c);
    if (left > 0) out.push({ text: ' '.repeat(left) });
    break;
  }
  return out;
}

/** The style applied on top of every segment (a selected or flashing row). */
export function restyle(segs: Seg[], style: SegStyle): Seg[] {
  return segs.map((s) => ({ ...s, ...style }));
}
