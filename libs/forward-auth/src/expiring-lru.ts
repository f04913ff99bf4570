interface Entry<V> {
  value: V;
  expiresAt: number;
  /** The insertion counter when the entry was last moved to the most recently used end. */
  touched: number;
}

/**
 * A bounded map whose entries expire: a least recently used entry goes when full, and an
 * entry is never returned past its own expiry. Small on purpose: it sits on the hottest path.
 *
 * Recency is kept by re-inserting on a hit (Map keeps insertion order), but only once the entry has
 * left the most recent half: an entry used within the last maxEntries / 2 insertions is still among
 * the newest half, so at least that many other insertions must happen before it can be evicted.
 * A hot entry therefore costs one lookup per hit instead of a delete and a set.
 *
 * `onRemove` hears every entry that leaves (expired on read, evicted, replaced, deleted, cleared).
 */
export class ExpiringLru<K, V> {
  private readonly entries = new Map<K, Entry<V>>();
  private insertions = 0;
  private readonly halfLife: number;

  constructor(
    private readonly maxEntries: number,
    private readonly onRemove?: (key: K, value: V) => void,
  ) {
    this.halfLife = Math.max(1, Math.floor(maxEntries / 2));
  }

  get(key: K, now = Date.now()): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) {
      return undefined;
    }
    if (entry.expiresAt <= now) {
      this.entries.delete(key);
      this.onRemove?.(key, entry.value);
      return undefined;
    }
    if (this.insertions - entry.touched >= this.halfLife) {
      this.entries.delete(key);
      entry.touched = ++this.insertions;
      this.entries.set(key, entry);
    }
    return entry.value;
  }

  set(key: K, value: V, expiresAt: number): void {
    if (this.maxEntries === 0) {
      return;
    }
    this.delete(key);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) {
        this.delete(oldest.value);
      }
    }
    this.entries.set(key, { value, expiresAt, touched: ++this.insertions });
  }

  delete(key: K): void {
    const entry = this.entries.get(key);
    if (entry !== undefined) {
      this.entries.delete(key);
      this.onRemove?.(key, entry.value);
    }
  }

  deleteWhere(predicate: (value: V) => boolean): void {
    for (const [key, entry] of this.entries) {
      if (predicate(entry.value)) {
        this.entries.delete(key);
        this.onRemove?.(key, entry.value);
      }
    }
  }

  clear(): void {
    if (this.onRemove !== undefined) {
      for (const [key, entry] of this.entries) {
        this.onRemove(key, entry.value);
      }
    }
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
