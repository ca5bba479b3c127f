// An object keyed by small integers (payload types, DSCP values) that stays
// small. V8 gives an object whose integer keys run to n an array of about
// 1.5 n slots: an SDP payload map with telephone-event (101) took 1.4 KB, a
// report's DSCP counts with EF (46) 770 bytes, for one or two keys. Once an
// index far past the rest has been set and deleted, the object keeps its
// integer keys in a dictionary (about 200-250 bytes for a few keys); they
// still enumerate in ascending order, so JSON and text read the same.

/** An index far past any key these objects hold. */
const FAR_INDEX = 1 << 20;

/** An empty object whose integer keys will be kept in a dictionary. */
export function sparseRecord<K extends number | string, V>(): Record<K, V> {
  // A literal holding FAR_INDEX (2 ** 20): V8 copies the dictionary it made once, half the cost of turning a new object into one.
  const r: Record<number, V> = { 1048576: undefined as V };
  delete r[FAR_INDEX];
  return r as Record<K, V>;
}
