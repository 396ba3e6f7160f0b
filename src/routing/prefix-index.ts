// Longest-prefix match over digit strings with two sorted arrays: the prefixes, and for each prefix
// the index of its longest proper prefix that is also in the table ("parent"). A lookup binary-searches
// the greatest prefix <= the key, then walks up parents until one is a prefix of the key: every prefix
// of the key sorts between itself and the key, so the answer is on that chain (at most 15 steps).
// 100,000 prefixes take two arrays of 100,000 entries: no trie nodes, nothing per digit.
export class PrefixIndex<T> {
  readonly #prefixes: string[];
  readonly #values: T[];
  readonly #parent: Int32Array;

  /** Entries with the same prefix must be merged by the caller (last one wins otherwise). */
  constructor(entries: ReadonlyMap<string, T> | Iterable<readonly [string, T]>) {
    let merged: ReadonlyMap<string, T>;
    if (entries instanceof Map) merged = entries;
    else {
      const m = new Map<string, T>();
      for (const [p, v] of entries) m.set(p, v);
      merged = m;
    }
    // Plain code-unit order: the default sort of strings, without a comparator call per comparison.
    // The plan is read ORDER BY prefix, so the keys usually arrive sorted: checked in one pass.
    const sorted = [...merged.keys()];
    let inOrder = true;
    for (let i = 1; i < sorted.length && inOrder; i++)
      inOrder = (sorted[i - 1] as string) < (sorted[i] as string);
    if (!inOrder) sorted.sort();
    this.#prefixes = sorted;
    this.#values = sorted.map((p) => merged.get(p) as T);
    this.#parent = new Int32Array(sorted.length);
    // A stack of the current chain of nested prefixes gives every parent in one pass.
    const stack: number[] = [];
    for (let i = 0; i < sorted.length; i++) {
      const p = sorted[i] as string;
      while (stack.length && !p.startsWith(sorted[stack[stack.length - 1] as number] as string)) stack.pop();
      this.#parent[i] = stack.length ? (stack[stack.length - 1] as number) : -1;
      stack.push(i);
    }
  }

  get size(): number {
    return this.#prefixes.length;
  }

  /** The value of the longest prefix of `key`, with that prefix; undefined when none matches. */
  match(key: string): { prefix: string; value: T } | undefined {
    const ps = this.#prefixes;
    let lo = 0;
    let hi = ps.length - 1;
    let at = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if ((ps[mid] as string) <= key) {
        at = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    while (at >= 0) {
      const p = ps[at] as string;
      if (key.startsWith(p)) return { prefix: p, value: this.#values[at] as T };
      at = this.#parent[at] as number;
    }
    return undefined;
  }
}
