// A Map that forgets its least recently used entries beyond a size: every
// per-flow table in the pipeline uses one so memory stays bounded.

export class BoundedMap<K, V> {
  private readonly map = new Map<K, V>();
  evicted = 0;

  constructor(private readonly max: number) {}

  get size(): number {
    return this.map.size;
  }

  /** Look up and mark as recently used. */
  get(key: K): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  /** Look up without touching recency. */
  peek(key: K): V | undefined {
    return this.map.get(key);
  }

  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.max) {
      const oldest = this.map.keys().next().value as K;
      this.map.delete(oldest);
      this.evicted++;
    }
  }

  delete(key: K): boolean {
    return this.map.delete(key);
  }

  values(): IterableIterator<V> {
    return this.map.values();
  }
}
