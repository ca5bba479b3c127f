// A gzip file's members (RFC 1952), unpacked one after another, keeping all
// that could be unpacked when something goes wrong. zlib's own gunzip stream
// reads a member and then, in the same call, whatever follows as the next
// member: trailing garbage after a good member is an error there, and the
// last output of the good member is lost with it (the demo lost 2,115 bytes,
// so its last packets). Here the member headers and trailers are read by this
// file and only the deflate data goes to zlib (raw inflate, which stops at the
// end of its data and says how much it used), so a good member is always
// unpacked whole, and what follows it is judged on its own:
// - another member: unpacked the same way (`cat a.gz b.gz` is one gzip file);
// - zero bytes: padding, ignored (as gzip -d and zlib do);
// - anything else: trailing garbage, ignored with a problem reported (as
//   `gzip -d` says "trailing garbage ignored");
// - a member whose data is corrupt: what was unpacked before the fault, and
//   a problem;
// - input that ends inside a member or its trailer: cut short.
// The problem is handed to `onProblem` once, and the bytes stop there.

import { createInflateRaw, type InflateRaw } from 'node:zlib';

const ID1 = 0x1f;
const ID2 = 0x8b;
const CM_DEFLATE = 8;
const FHCRC = 0x02;
const FEXTRA = 0x04;
const FNAME = 0x08;
const FCOMMENT = 0x10;
const FRESERVED = 0xe0;
const HEADER_LEN = 10;
const TRAILER_LEN = 8;

export type GzipProblem =
  | { kind: 'cut' }
  | { kind: 'garbage'; at: number }
  | { kind: 'corrupt'; at: number; member: number; why: string };

/** The length of the member header at the start of `b`, 0 when more bytes are needed, or a reason it is not one. */
function headerLength(b: Uint8Array): number | string {
  if (b.length < HEADER_LEN) return 0;
  if (b[2] !== CM_DEFLATE) return `compression method ${b[2]}, not deflate`;
  const flags = b[3];
  if (flags & FRESERVED) return `reserved header flags 0x${flags.toString(16)}`;
  let p = HEADER_LEN;
  if (flags & FEXTRA) {
    if (b.length < p + 2) return 0;
    p += 2 + (b[p] | (b[p + 1] << 8));
  }
  for (const f of [FNAME, FCOMMENT]) {
    if (!(flags & f)) continue;
    while (p < b.length && b[p] !== 0) p++;
    if (p >= b.length) return 0;
    p++;
  }
  if (flags & FHCRC) p += 2;
  return p <= b.length ? p : 0;
}

/** One member's deflate data through zlib: each write resolves with what it unpacked and how many bytes it used. */
class MemberInflater {
  private readonly z: InflateRaw = createInflateRaw({ chunkSize: 64 * 1024 });
  private out: Buffer[] = [];
  private failure: Error | null = null;
  private wake: (() => void) | null = null;
  /** Bytes unpacked so far, mod 2^32 as the trailer's ISIZE has them. */
  size = 0;

  constructor() {
    this.z.on('data', (b: Buffer) => {
      this.out.push(b);
      this.size = (this.size + b.length) >>> 0;
    });
    this.z.on('error', (e: Error) => {
      this.failure = e;
      this.wake?.();
    });
  }

  /** Used fewer bytes than given: the member's deflate data ended inside them. */
  async write(b: Uint8Array): Promise<{ out: Buffer[]; used: number; error: Error | null }> {
    const before = this.z.bytesWritten;
    await new Promise<void>((resolve) => {
      this.wake = resolve;
      this.z.write(b, () => resolve());
    });
    this.wake = null;
    // Output the stream buffered rather than emitted is emitted on a later tick: let it come.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const out = this.out;
    this.out = [];
    return { out, used: this.z.bytesWritten - before, error: this.failure };
  }

  close(): void {
    this.z.destroy();
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const c = new Uint8Array(a.length + b.length);
  c.set(a);
  c.set(b, a.length);
  return c;
}

/** The unpacked bytes of every member of a gzip stream; `onProblem` hears of the first thing that ended it early. */
export async function* gunzipMembers(source: AsyncIterable<Uint8Array>, onProblem: (p: GzipProblem) => void): AsyncGenerator<Uint8Array> {
  /** Compressed bytes not yet used, and the file offset of the first of them. */
  let pending: Uint8Array = new Uint8Array(0);
  let at = 0;
  let member = 0;
  let inflater: MemberInflater | null = null;
  /** The member's data ended; its trailer is next. */
  let trailer = false;
  const use = (n: number): void => {
    pending = pending.subarray(n);
    at += n;
  };
  try {
    for await (const chunk of source) {
      pending = concat(pending, chunk);
      for (;;) {
        if (trailer) {
          if (pending.length < TRAILER_LEN) break;
          const isize = (pending[4] | (pending[5] << 8) | (pending[6] << 16) | (pending[7] << 24)) >>> 0;
          if (isize !== inflater!.size) {
            onProblem({ kind: 'corrupt', at, member, why: `its trailer says ${isize} bytes, ${inflater!.size} were unpacked` });
            return;
          }
          use(TRAILER_LEN);
          inflater!.close();
          inflater = null;
          trailer = false;
        }
        if (inflater === null) {
          if (pending.length === 0) break;
          if (pending[0] !== ID1 || (pending.length > 1 && pending[1] !== ID2)) {
            if (pending.some((x) => x !== 0)) {
              onProblem({ kind: 'garbage', at });
              return;
            }
            use(pending.length); // zero padding
            break;
          }
          const h = headerLength(pending);
          if (typeof h === 'string') {
            onProblem({ kind: 'corrupt', at, member: member + 1, why: h });
            return;
          }
          if (h === 0) break;
          use(h);
          member++;
          inflater = new MemberInflater();
        }
        if (pending.length === 0) break;
        const r = await inflater.write(pending);
        for (const b of r.out) yield b;
        if (r.error) {
          onProblem({ kind: 'corrupt', at: at + r.used, member, why: r.error.message });
          return;
        }
        const whole = r.used === pending.length;
        use(r.used);
        if (whole) break;
        trailer = true;
      }
    }
    // The input ended: inside a member or its trailer is cut short; between members is the end.
    if (inflater !== null || pending.some((x) => x !== 0)) {
      if (inflater === null && pending[0] !== ID1) onProblem({ kind: 'garbage', at });
      else onProblem({ kind: 'cut' });
    }
  } finally {
    inflater?.close();
  }
}
