// Values many streams have alike, one object per distinct value: a report
// lists thousands of streams, and a clean call's score, an SDP's codec list
// or the payload map of the calls that announce the same codecs is the same
// for most of them. The media report is built once at the end of a capture
// and kept while the outputs are written: a copy per stream is kilobytes per
// hundred streams that nothing needs. The objects are never changed once
// made (a report's readers only read them).

/** Values by their text; emptied past `max` (a cache: a value made again is an equal copy). */
export class SharedValues<T> {
  private readonly byText = new Map<string, T>();

  constructor(private readonly max = 1024) {}

  /** The value known by `text`, or `value` itself, kept as that text's from now on. */
  share(text: string, value: T): T {
    const known = this.byText.get(text);
    if (known !== undefined) return known;
    if (this.byText.size >= this.max) this.byText.clear();
    this.byText.set(text, value);
    return value;
  }
}
