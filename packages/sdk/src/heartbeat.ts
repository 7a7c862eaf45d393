import type { Clock, TimerHandle } from './clock.ts';

/** Callbacks of {@link Heartbeat}. */
export interface HeartbeatHooks {
  /** Send a ping now. */
  ping(): void;
  /** Nothing arrived for two intervals: the connection is dead. */
  dead(): void;
}

/**
 * Sends a ping every interval and declares the connection dead when no frame
 * at all arrived within two intervals (any frame proves the link is alive).
 */
export class Heartbeat {
  private timer: TimerHandle | undefined;
  private lastSeen = 0;
  private intervalMs = 0;
  private readonly clock: Clock;
  private readonly hooks: HeartbeatHooks;

  constructor(clock: Clock, hooks: HeartbeatHooks) {
    this.clock = clock;
    this.hooks = hooks;
  }

  start(intervalMs: number): void {
    this.stop();
    this.intervalMs = Math.max(1, intervalMs);
    this.lastSeen = this.clock.now();
    this.schedule();
  }

  /** Any frame arrived. */
  handleFrame(): void {
    this.lastSeen = this.clock.now();
  }

  stop(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    this.timer = this.clock.setTimeout(() => this.tick(), this.intervalMs);
  }

  private tick(): void {
    this.timer = undefined;
    if (this.clock.now() - this.lastSeen >= 2 * this.intervalMs) {
      this.hooks.dead();
      return;
    }
    this.hooks.ping();
    this.schedule();
  }
}
