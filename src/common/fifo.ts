// A first-in first-out queue on a ring of slots that doubles when full:
// entries that leave early are not taken out (the caller marks them and
// skips them when they come up), so pushing and popping cost no hashing,
// unlike a Map used as an ordered set, and a queue that stays about the same
// length allocates nothing (an array shifted by slicing made a new copy of
// itself every few thousand entries, for the garbage collector to move).

export class Fifo<T> {
  private items: Array<T | undefined> = new Array<T | undefined>(16);
  private mask = 15;
  /** Slot of the first entry. */
  private head = 0;
  private count = 0;

  get length(): number {
    return this.count;
  }

  push(x: T): void {
    if (this.count > this.mask) this.grow();
    this.items[(this.head + this.count) & this.mask] = x;
    this.count++;
  }

  peek(): T | undefined {
    return this.count > 0 ? this.items[this.head] : undefined;
  }

  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const x = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) & this.mask;
    this.count--;
    return x;
  }

  /** Keeps the entries `keep` accepts, in order: lets go of what left early in one pass. */
  retain(keep: (x: T) => boolean): void {
    let n = 0;
    for (let i = 0; i < this.count; i++) {
      const x = this.items[(this.head + i) & this.mask] as T;
      if (keep(x)) this.items[(this.head + n++) & this.mask] = x;
    }
    for (let i = n; i < this.count; i++) this.items[(this.head + i) & this.mask] = undefined;
    this.count = n;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.count; i++) yield this.items[(this.head + i) & this.mask] as T;
  }

  clear(): void {
    this.items = new Array<T | undefined>(16);
    this.mask = 15;
    this.head = 0;
    this.count = 0;
  }

  private grow(): void {
    const items = new Array<T | undefined>(2 * (this.mask + 1));
    for (let i = 0; i < this.count; i++) items[i] = this.items[(this.head + i) & this.mask];
    this.items = items;
    this.mask = 2 * this.mask + 1;
    this.head = 0;
  }
}
