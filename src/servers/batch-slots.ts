/**
 * The mock's capacity model: N batch slots, like a server that decodes at most N sequences at once
 * (vLLM's max_num_seqs). A request past N waits in a FIFO queue, and its TTFT clock starts only
 * when a slot frees — so throughput flattens at N / (ttft + itl · (tokens − 1)) and latency rises
 * past it, as on a real server past its capacity. 0 slots = unlimited (every request starts at once).
 */

/**
 * A request waiting for a slot: `start` runs once one is free, with the time (performance.now() ms)
 * the slot freed on the model's clock; `gone` drops it (the client left).
 */
export interface SlotWaiter {
  start(freedAtMs: number): void;
  gone(): boolean;
}

export class BatchSlots {
  private active = 0;
  /** FIFO with a moving head: O(1) per request, compacted when half consumed. */
  private queue: SlotWaiter[] = [];
  private head = 0;
  /** Most requests waiting at once (a server past its capacity shows a growing queue). */
  peakQueued = 0;

  constructor(private readonly slots: number) {
    if (!Number.isInteger(slots) || slots < 0)
      throw new RangeError(`batch slots must be an integer >= 0, got ${slots}`);
  }

  get running(): number {
    return this.active;
  }

  get queued(): number {
    return this.queue.length - this.head;
  }

  /** Start now when a slot is free (or slots are unlimited), else queue. Call release() once per start. */
  admit(waiter: SlotWaiter): void {
    if (this.slots === 0 || this.active < this.slots) {
      this.active++;
      waiter.start(-Infinity);
      return;
    }
    this.queue.push(waiter);
    if (this.queued > this.peakQueued) this.peakQueued = this.queued;
  }

  /**
   * A started request ended at `freedAtMs` (its last token's deadline, not the later moment the
   * timer ran and the socket closed): its slot goes to the oldest waiter still there, whose clock
   * starts then — so timer lateness never adds up into lost capacity (it cost 10 % at 8 slots × 55 ms).
   */
  release(freedAtMs: number): void {
    this.active--;
    while (this.head < this.queue.length) {
      const next = this.queue[this.head];
      this.head++;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      if (next.gone()) continue;
      this.active++;
      next.start(freedAtMs);
      return;
    }
  }

  /** Drop every waiter (server closing). */
  clear(): void {
    this.queue = [];
    this.head = 0;
  }
}
