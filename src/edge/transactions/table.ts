// A bounded table of transactions, found by matching key (from the network) or by the
// transaction id the app protocol exposes. The bound keeps a flood of requests from growing
// memory: past it, new requests are answered statelessly with 503.
export interface Keyed {
  readonly key: string;
  readonly id: string;
}

export class TransactionTable<T extends Keyed> {
  private readonly byKey = new Map<string, T>();
  private readonly byId = new Map<string, T>();

  constructor(private readonly limit: number) {}

  get size(): number {
    return this.byKey.size;
  }

  get full(): boolean {
    return this.byKey.size >= this.limit;
  }

  add(txn: T): void {
    this.byKey.set(txn.key, txn);
    this.byId.set(txn.id, txn);
  }

  remove(txn: T): void {
    if (this.byKey.get(txn.key) === txn) this.byKey.delete(txn.key);
    if (this.byId.get(txn.id) === txn) this.byId.delete(txn.id);
  }

  get(key: string): T | undefined {
    return this.byKey.get(key);
  }

  getById(id: string): T | undefined {
    return this.byId.get(id);
  }

  values(): IterableIterator<T> {
    return this.byKey.values();
  }
}
