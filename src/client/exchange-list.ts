/**
 * The shard's lists of requests — in flight (slot 0), and sent and not finished in send order
 * (slot 1) — as intrusive doubly linked lists: the links are fields of the node itself, so joining
 * and leaving a list allocates nothing, and nothing the list no longer holds stays reachable.
 *
 * Why not a Set: a Set whose size swings between 0 and a few entries rehashes every few adds and
 * deletes, and each obsolete table keeps a link to its successor (for live iterators) and its
 * entries until the next full GC. Old tables in the old generation then kept young exchanges and
 * their records alive through every scavenge: at 5,000 req/s ~30 % of the shard's allocation
 * survived its scavenges (0.5–0.8 MB each, 2–6 ms pauses), with the two Sets' own tables ~25 % of
 * what was promoted (docs/PERFORMANCE.md, "Session 9: schedule lag at 5,000 req/s").
 */
export interface ListNode<T> {
  prev0: T | null;
  next0: T | null;
  listed0: boolean;
  prev1: T | null;
  next1: T | null;
  listed1: boolean;
}

export class ExchangeList<T extends ListNode<T>> implements Iterable<T> {
  private head: T | null = null;
  private tail: T | null = null;
  size = 0;

  constructor(private readonly slot: 0 | 1) {}

  has(x: T): boolean {
    return this.slot === 0 ? x.listed0 : x.listed1;
  }

  /** Append `x` (no-op when it is already in the list). */
  add(x: T): void {
    if (this.has(x)) return;
    const tail = this.tail;
    if (this.slot === 0) {
      x.listed0 = true;
      x.prev0 = tail;
      x.next0 = null;
      if (tail !== null) tail.next0 = x;
    } else {
      x.listed1 = true;
      x.prev1 = tail;
      x.next1 = null;
      if (tail !== null) tail.next1 = x;
    }
    if (tail === null) this.head = x;
    this.tail = x;
    this.size++;
  }

  /** Remove `x`; false when it was not in the list. */
  delete(x: T): boolean {
    if (!this.has(x)) return false;
    let prev: T | null;
    let next: T | null;
    if (this.slot === 0) {
      prev = x.prev0;
      next = x.next0;
      if (prev !== null) prev.next0 = next;
      if (next !== null) next.prev0 = prev;
      x.prev0 = x.next0 = null;
      x.listed0 = false;
    } else {
      prev = x.prev1;
      next = x.next1;
      if (prev !== null) prev.next1 = next;
      if (next !== null) next.prev1 = prev;
      x.prev1 = x.next1 = null;
      x.listed1 = false;
    }
    if (prev === null) this.head = next;
    if (next === null) this.tail = prev;
    this.size--;
    return true;
  }

  /** Move `x` to the back (add it when absent): a resend restarts its place in send order. */
  moveToBack(x: T): void {
    this.delete(x);
    this.add(x);
  }

  /** The oldest node (null when empty). */
  first(): T | null {
    return this.head;
  }

  /** In insertion order; the node being visited may be deleted (the walk has already read its successor). */
  *[Symbol.iterator](): Iterator<T> {
    let x = this.head;
    while (x !== null) {
      const next = this.slot === 0 ? x.next0 : x.next1;
      yield x;
      x = next;
    }
  }
}
