// A binary min-heap on a numeric key: what is due next, for the sender, the
// capture generator and the heartbeat detector's deadlines. Equal keys come
// out in push order, so runs repeat.

interface Entry<T> {
  key: number;
  order: number;
  value: T;
}

function less<T>(x: Entry<T>, y: Entry<T>): boolean {
  return x.key < y.key || (x.key === y.key && x.order < y.order);
}

export class MinHeap<T> {
  private readonly items: Array<Entry<T>> = [];
  private pushed = 0;

  get size(): number {
    return this.items.length;
  }

  peekKey(): number {
    return this.items.length ? this.items[0].key : Infinity;
  }

  push(key: number, value: T): void {
    const a = this.items;
    a.push({ key, order: this.pushed++, value });
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(a[i], a[parent])) break;
      [a[parent], a[i]] = [a[i], a[parent]];
      i = parent;
    }
  }

  pop(): T | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0].value;
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && less(a[l], a[m])) m = l;
        if (r < a.length && less(a[r], a[m])) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i], a[m]];
        i = m;
      }
    }
    return top;
  }
}
