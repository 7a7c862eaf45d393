/**
 * Per-frame decisions of the WebSocket proxy: which body case a frame has,
 * and whether the current settings drop it or send it twice.
 */
import { decodeFrame } from '@tidings/protocol';
import { chanceFor, type Direction, type FaultConfig } from './fault-config.ts';
import type { Random } from './random.ts';

/**
 * Body case names as protobuf-es spells them (`sendAck`); rules may also use
 * the proto field name (`send_ack`), so both are normalised to camelCase.
 */
export function normaliseCase(name: string): string {
  return name.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
}

/** What to do with one frame. */
export type FrameVerdict = 'pass' | 'drop' | 'drop-ack' | 'dup';

/**
 * The `body.case` of a binary Tidings frame, or undefined when the bytes are
 * not a frame we can read (text, encrypted session, garbage).
 */
export function frameCase(data: Uint8Array): string | undefined {
  const r = decodeFrame(data, Number.MAX_SAFE_INTEGER);
  return r.ok ? r.frame.body.case : undefined;
}

/**
 * Decides a frame's fate. Randomness is drawn only for probabilities strictly
 * between 0 and 1, so settings of 0 and 1 are exact and reproducible.
 */
export function judgeFrame(config: FaultConfig, rng: Random, dir: Direction, kase: string | undefined): FrameVerdict {
  if (dir === 's2c' && kase === 'sendAck' && rng.chance(config.dropAcks ?? 0)) return 'drop-ack';
  if (rng.chance(chanceFor(config.drop, dir))) return 'drop';
  const rules = config.rules ?? [];
  for (const r of rules) {
    if (r.action === 'drop' && ruleMatches(r, dir, kase) && rng.chance(r.p)) return 'drop';
  }
  if (rng.chance(chanceFor(config.dup, dir))) return 'dup';
  for (const r of rules) {
    if (r.action === 'dup' && ruleMatches(r, dir, kase) && rng.chance(r.p)) return 'dup';
  }
  return 'pass';
}

function ruleMatches(
  r: { readonly direction?: Direction; readonly cases?: readonly string[] },
  dir: Direction,
  kase: string | undefined,
): boolean {
  if (r.direction !== undefined && r.direction !== dir) return false;
  if (r.cases !== undefined && (kase === undefined || !r.cases.some((c) => normaliseCase(c) === kase))) return false;
  return true;
}
