/**
 * Fault settings shared by the WebSocket and TCP proxies, and the counters
 * they report. Settings are plain data so a test can print them next to the
 * seed and replay the run.
 */

/** Direction of a frame: client to server, or server to client. */
export type Direction = 'c2s' | 's2c';

/** A probability for both directions, or one per direction. */
export type DirectionalChance = number | { readonly c2s?: number; readonly s2c?: number };

/** Which connections a periodic fault hits: all of them, or one at random. */
export type FaultTarget = 'all' | 'one';

/** A fault that fires every `everyMs` (plus or minus `jitterMs`). */
export interface PeriodicFault {
  readonly everyMs: number;
  /** Uniform jitter around `everyMs`; default 0. */
  readonly jitterMs?: number;
  /** Default `'all'`. */
  readonly target?: FaultTarget;
}

/** A periodic stall: forwarding stops both ways for `durationMs`. */
export interface StallFault extends PeriodicFault {
  readonly durationMs: number;
}

/**
 * A frame rule: with probability `p`, apply `action` to frames going in
 * `direction` (both when absent) whose decoded body case is one of `cases`
 * (any frame, including undecodable ones, when absent). Cases may be written
 * as protobuf-es spells them (`sendAck`) or as in the proto (`send_ack`).
 */
export interface FrameRule {
  readonly action: 'drop' | 'dup';
  readonly p: number;
  readonly direction?: Direction;
  readonly cases?: readonly string[];
}

/** Everything a proxy can be told to do. Absent fields mean "no fault". */
export interface FaultConfig {
  /** Cut connections periodically; `null` turns it off. */
  readonly cut?: PeriodicFault | null;
  /** Stall connections periodically; `null` turns it off. */
  readonly stall?: StallFault | null;
  /** Delay every frame by this many ms (WebSocket mode). Order is kept. */
  readonly delayMs?: number;
  /** Uniform jitter on `delayMs`; frames still leave in arrival order. */
  readonly delayJitterMs?: number;
  /** Drop any frame with this probability (WebSocket mode). */
  readonly drop?: DirectionalChance;
  /** Send any frame twice with this probability (WebSocket mode). */
  readonly dup?: DirectionalChance;
  /** Drop server-to-client `send_ack` (`body.case === 'sendAck'`) frames with this probability. */
  readonly dropAcks?: number;
  /** Extra per-frame rules, checked after the fields above. */
  readonly rules?: readonly FrameRule[];
}

/** What a proxy did, for test output. */
export interface FaultCounters {
  /** Connections accepted and bridged to the target. */
  connections: number;
  /** Connections currently open. */
  active: number;
  /** Connections the proxy cut on purpose. */
  cuts: number;
  /** Stalls applied (one per connection stalled). */
  stalls: number;
  /** Connections the target refused (handshake failure). */
  upstreamFailures: number;
  frames: { c2s: number; s2c: number };
  drops: { c2s: number; s2c: number };
  /** Of `drops.s2c`, how many were send acks dropped by `dropAcks`. */
  ackDrops: number;
  dups: { c2s: number; s2c: number };
  delayed: number;
}

/** Fresh zeroed counters. */
export function emptyCounters(): FaultCounters {
  return {
    connections: 0,
    active: 0,
    cuts: 0,
    stalls: 0,
    upstreamFailures: 0,
    frames: { c2s: 0, s2c: 0 },
    drops: { c2s: 0, s2c: 0 },
    ackDrops: 0,
    dups: { c2s: 0, s2c: 0 },
    delayed: 0,
  };
}

/** A deep copy of counters, safe to keep while the proxy keeps counting. */
export function snapshotCounters(c: FaultCounters): FaultCounters {
  return structuredClone(c);
}

/** One line for logs: `cuts=3 stalls=0 drops=1/4 ackDrops=2 dups=0/0 ...`. */
export function formatCounters(c: FaultCounters): string {
  return (
    `connections=${c.connections} active=${c.active} cuts=${c.cuts} stalls=${c.stalls} ` +
    `upstreamFailures=${c.upstreamFailures} frames=${c.frames.c2s}/${c.frames.s2c} ` +
    `drops=${c.drops.c2s}/${c.drops.s2c} ackDrops=${c.ackDrops} dups=${c.dups.c2s}/${c.dups.s2c} delayed=${c.delayed}`
  );
}

/** The probability a directional setting gives for one direction. */
export function chanceFor(value: DirectionalChance | undefined, dir: Direction): number {
  if (value === undefined) return 0;
  if (typeof value === 'number') return value;
  return value[dir] ?? 0;
}

/** Rejects settings that cannot mean anything (negative periods, p outside [0, 1]). */
export function validateFaults(f: FaultConfig): void {
  const prob = (name: string, p: number | undefined): void => {
    if (p !== undefined && !(p >= 0 && p <= 1)) throw new RangeError(`${name} must be within [0, 1], got ${p}`);
  };
  for (const d of ['c2s', 's2c'] as const) {
    prob(`drop.${d}`, chanceFor(f.drop, d));
    prob(`dup.${d}`, chanceFor(f.dup, d));
  }
  prob('dropAcks', f.dropAcks);
  for (const r of f.rules ?? []) prob(`rules[${r.action}].p`, r.p);
  if (f.cut && !(f.cut.everyMs > 0)) throw new RangeError('cut.everyMs must be > 0');
  if (f.stall && !(f.stall.everyMs > 0 && f.stall.durationMs >= 0)) {
    throw new RangeError('stall.everyMs must be > 0 and stall.durationMs >= 0');
  }
  if (f.delayMs !== undefined && !(f.delayMs >= 0)) throw new RangeError('delayMs must be >= 0');
}

/** Merges a change into the current settings (shallow: each field replaces). */
export function mergeFaults(current: FaultConfig, change: FaultConfig): FaultConfig {
  const merged = { ...current, ...change };
  validateFaults(merged);
  return Object.freeze(merged);
}
