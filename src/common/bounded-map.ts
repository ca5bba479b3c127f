// A Map that forgets its least recently used entries beyond a size: every
// per-flow table in the pipeline uses one so memory stays bounded.
//
// Recency is a doubly linked list beside the Map. Marking an entry as used
// moves its node to the recent end and leaves the Map alone: the obvious
// `map.delete(k); map.set(k, v)` makes V8 rehash the Map's table every few
// calls, and once the Map is old, V8 allocates each new table straight in the
// old generation, where it stays as garbage until a full GC. At one touch per
// packet that was megabytes of old-space growth per million packets.

interface Node<K, V> {
  key: K;
  value: V;
  older: Node<K, V> | null;
  newer: Node<K, V> | null;
}

/** An entry's place in the recency order: touch() marks it used without a lookup. */
export interface RecencyEntry<K, V> {
  readonly key: K;
  readonly value: V;
}

/** A Map in recency order: iteration runs from the least to the most recently used entry. */
export class RecencyMap<K, V> {
  private readonly map = new Map<K, Node<K, V>>();
  private oldest: Node<K, V> | null = null;
  private newest: Node<K, V> | null = null;

  get size(): number {
    return this.map.size;
  }

  /** Look up without touching recency. */
  peek(key: K): V | undefined {
    return this.map.get(key)?.value;
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  /** Look up and mark as recently used. */
  get(key: K): V | undefined {
    const node = this.map.get(key);
    if (node === undefined) return undefined;
    this.toNewest(node);
    return node.value;
  }

  /** Insert or replace, as the most recently used entry. */
  set(key: K, value: V): RecencyEntry<K, V> {
    const node = this.map.get(key);
    if (node !== undefined) {
      node.value = value;
      this.toNewest(node);
      return node;
    }
    const added: Node<K, V> = { key, value, older: this.newest, newer: null };
    if (this.newest !== null) this.newest.newer = added;
    else this.oldest = added;
    this.newest = added;
    this.map.set(key, added);
    return added;
  }

  /** Mark an entry as recently used; it must still be in the map. */
  touch(entry: RecencyEntry<K, V>): void {
    this.toNewest(entry as Node<K, V>);
  }

  delete(key: K): boolean {
    const node = this.map.get(key);
    if (node === undefined) return false;
    this.unlink(node);
    this.map.delete(key);
    return true;
  }

  clear(): void {
    this.map.clear();
    this.oldest = this.newest = null;
  }

  /** The least recently used key, if any. */
  oldestKey(): K | undefined {
    return this.oldest?.key;
  }

  /** The least recently used value, if any. */
  oldestValue(): V | undefined {
    return this.oldest?.value;
  }

  /** Entries from least to most recently used; deleting the entry just yielded is safe. */
  *entries(): IterableIterator<[K, V]> {
    for (let n = this.oldest; n !== null; ) {
      const next = n.newer;
      yield [n.key, n.value];
      n = next;
    }
  }

  *keys(): IterableIterator<K> {
    for (let n = this.oldest; n !== null; ) {
      const next = n.newer;
      yield n.key;
      n = next;
    }
  }

  *values(): IterableIterator<V> {
    for (let n = this.oldest; n !== null; ) {
      const next = n.newer;
      yield n.value;
      n = next;
    }
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }

  private toNewest(node: Node<K, V>): void {
    if (node === this.newest) return;
    this.unlink(node);
    node.older = this.newest;
    node.newer = null;
    if (this.newest !== null) this.newest.newer = node;
    else this.oldest = node;
    this.newest = node;
  }

  /** Take a node out of the list; its own `newer` is kept so an iterator standing on it can go on. */
  private unlink(node: Node<K, V>): void {
    if (node.older !== null) node.older.newer = node.newer;
    else this.oldest = node.newer;
    if (node.newer !== null) node.newer.older = node.older;
    else this.newest = node.older;
  }
}

export class BoundedMap<K, V> {
  private readonly map = new RecencyMap<K, V>();
  evicted = 0;

  constructor(private readonly max: number) {}

  get size(): number {
    return this.map.size;
  }

  /** Look up and mark as recently used. */
  get(key: K): V | undefined {
    return this.map.get(key);
  }

  /** Look up without touching recency. */
  peek(key: K): V | undefined {
    return this.map.peek(key);
  }

  set(key: K, value: V): void {
    this.map.set(key, value);
    if (this.map.size > this.max) {
      this.map.delete(this.map.oldestKey() as K);
      this.evicted++;
    }
  }

  delete(key: K): boolean {
    return this.map.delete(key);
  }

  /** Values from least to most recently used. */
  values(): IterableIterator<V> {
    return this.map.values();
  }
}
