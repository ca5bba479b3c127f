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
  // Joining two parts builds one new flat string of their characters: one
  // object, where slicing a concatenation (' ' + s).slice(1) kept two (the
  // flattened copy and a slice of it).
  return [s.slice(0, 1), s.slice(1)].join('');
}

export function detachOrNull(s: string | null): string | null {
  return s === null ? null : detach(s);
}
