// A string sliced from a packet's text is, in V8, a view that keeps the whole
// text alive: a Call-ID kept for a call would hold its INVITE's header block
// (hundreds of bytes) for as long as the call is listed. State that outlives
// its packet (calls, transactions, SDP endpoints) keeps a copy of its own.

/** V8's SlicedString/ConsString minimum length (13): shorter results of slice() or + are always copies. */
const MIN_VIEW_LENGTH = 13;

/** The same characters in a string that holds no parent text. */
export function detach(s: string): string {
  // V8 copies strings shorter than this when slicing or joining them: they hold no parent.
  if (s.length < MIN_VIEW_LENGTH) return s;
  // Slicing a concatenation makes V8 flatten it into a new string first, so the
  // result refers to that copy (one character longer), not to s's parent.
  return (' ' + s).slice(1);
}

export function detachOrNull(s: string | null): string | null {
  return s === null ? null : detach(s);
}
