/**
 * Runs `pass` once for any burst of kicks, never two at a time: kicks during a pass schedule one
 * more. A failed pass (e.g. a write that raced another) is retried after `retryMs`.
 */
export class CoalescedPass {
  private scheduled = false;
  private running = false;

  constructor(
    private readonly pass: () => Promise<void>,
    private readonly onError: (e: unknown) => void = () => undefined,
    private readonly retryMs = 20,
  ) {}

  kick(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.run();
    });
  }

  /** One pass now (or, if one is running, right after it). */
  async run(): Promise<void> {
    if (this.running) {
      this.kick();
      return;
    }
    this.running = true;
    try {
      await this.pass();
    } catch (e) {
      this.onError(e);
      setTimeout(() => this.kick(), this.retryMs).unref();
    } finally {
      this.running = false;
    }
  }
}
