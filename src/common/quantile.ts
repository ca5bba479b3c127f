// The nearest-rank quantile of an ascending array: the value at rank ⌈q·n⌉.

export function quantile(sorted: ArrayLike<number>, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}
