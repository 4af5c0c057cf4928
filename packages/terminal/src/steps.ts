/**
 * Each step of a card job runs on the card once. The server numbers a job's
 * steps; when a connection drops after the card answered, the server sends the
 * same step again on the next connection, and the agent answers it from here
 * instead of sending the commands to the card a second time (an INSTALL twice
 * would be refused by the card; an EXTERNAL AUTHENTICATE twice breaks the
 * channel). A step still running is joined, not started again.
 */
export type StepAnswer =
  { readonly responses: string[] } | { readonly error: 'CARD_REMOVED' | 'NO_CARD' | 'PCSC_ERROR' };

export class StepMemory {
  readonly #last = new Map<
    string,
    { readonly seq: number; readonly answer: Promise<StepAnswer> }
  >();

  /**
   * The answer to step `seq` of `jobId`: `run`'s (started now), or the one already
   * given or under way. `undefined` for a step older than one already run: a
   * late copy, to be ignored.
   */
  answer(
    jobId: string,
    seq: number,
    run: () => Promise<StepAnswer>,
  ): Promise<StepAnswer> | undefined {
    const last = this.#last.get(jobId);
    if (last && last.seq === seq) return last.answer;
    if (last && last.seq > seq) return undefined;
    const answer = run();
    this.#last.set(jobId, { seq, answer });
    return answer;
  }

  /** The job ended: nothing more to remember of it. */
  forget(jobId: string): void {
    this.#last.delete(jobId);
  }

  get size(): number {
    return this.#last.size;
  }
}
