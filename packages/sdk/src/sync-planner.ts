/** One page of a sync answer: its cursor and the seqs it promised. */
interface Page {
  readonly cursor: number;
  readonly targets: ReadonlyMap<string, number>;
}

/**
 * Decides when a sync cursor may be persisted: only once every conversation
 * a page named has been surfaced up to the maxSeq it reported (and every
 * earlier page is done too). Persisting earlier would skip messages after a
 * crash; later only costs a repeated pull.
 */
export class SyncPlanner {
  private pages: Page[] = [];

  /** A new sync run starts (a fresh connection). */
  reset(): void {
    this.pages = [];
  }

  /** One page of a sync answer arrived. */
  handleSyncResult(conversations: ReadonlyArray<{ convId: string; maxSeq: number }>, cursor: number): void {
    this.pages.push({ cursor, targets: new Map(conversations.map((c) => [c.convId, c.maxSeq])) });
  }

  /**
   * Call after lastSeqs moved. Returns the cursor to persist, if a page
   * completed.
   */
  handleProgress(lastSeq: (convId: string) => number): number | undefined {
    let done: number | undefined;
    while (this.pages.length > 0) {
      const page = this.pages[0]!;
      for (const [convId, maxSeq] of page.targets) if (lastSeq(convId) < maxSeq) return done;
      done = page.cursor;
      this.pages.shift();
    }
    return done;
  }

  /** Number of pages still waiting for pulls. */
  get pending(): number {
    return this.pages.length;
  }
}
