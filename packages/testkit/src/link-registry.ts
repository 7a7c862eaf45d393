/**
 * The set of live proxied connections and the faults that act on whole
 * connections (cut, stall), on demand or on a seeded periodic schedule.
 * Shared by the WebSocket and TCP proxies.
 */
import type { FaultConfig, FaultCounters, FaultTarget, PeriodicFault } from './fault-config.ts';
import type { Random } from './random.ts';

/** One proxied connection, as the registry sees it. */
export interface FaultLink {
  /** Drops both sides abruptly (no close handshake). */
  cut(): void;
  /** Stops forwarding both ways for `ms`, then resumes in order. */
  stall(ms: number): void;
}

/** Owns the live links and the periodic cut/stall timers. */
export interface LinkRegistry {
  add(link: FaultLink): void;
  remove(link: FaultLink): void;
  readonly size: number;
  /** Cuts every live link; returns how many. */
  cutAll(): number;
  /** Cuts one live link chosen by the seeded generator; false when none. */
  cutOne(): boolean;
  /** Stalls all links, or one chosen at random; returns how many. */
  stall(ms: number, target?: FaultTarget): number;
  /** Applies new settings: (re)arms or disarms the periodic timers. */
  configure(config: FaultConfig): void;
  /** Stops the timers and drops every live link without counting cuts. */
  close(): void;
}

/** Creates a registry drawing its choices from `rng` and counting into `counters`. */
export function createLinkRegistry(rng: Random, counters: FaultCounters): LinkRegistry {
  const links = new Set<FaultLink>();
  let cutTimer: NodeJS.Timeout | undefined;
  let stallTimer: NodeJS.Timeout | undefined;
  let cutSetting: PeriodicFault | null | undefined;
  let stallSetting: FaultConfig['stall'];
  let closed = false;

  const cut = (link: FaultLink): void => {
    if (!links.delete(link)) return;
    counters.cuts++;
    link.cut();
  };
  const chosen = (target: FaultTarget | undefined): FaultLink[] => {
    if (target === 'one') {
      const one = rng.pick([...links]);
      return one ? [one] : [];
    }
    return [...links];
  };

  const registry: LinkRegistry = {
    add(link) {
      links.add(link);
    },
    remove(link) {
      links.delete(link);
    },
    get size() {
      return links.size;
    },
    cutAll() {
      const all = [...links];
      for (const l of all) cut(l);
      return all.length;
    },
    cutOne() {
      const one = rng.pick([...links]);
      if (!one) return false;
      cut(one);
      return true;
    },
    stall(ms, target = 'all') {
      const hit = chosen(target);
      for (const l of hit) {
        counters.stalls++;
        l.stall(ms);
      }
      return hit.length;
    },
    configure(config) {
      if (closed) return;
      if (config.cut !== cutSetting) {
        cutSetting = config.cut;
        clearTimeout(cutTimer);
        cutTimer = undefined;
        if (cutSetting) armCut(cutSetting);
      }
      if (config.stall !== stallSetting) {
        stallSetting = config.stall;
        clearTimeout(stallTimer);
        stallTimer = undefined;
        if (stallSetting) armStall(stallSetting);
      }
    },
    close() {
      closed = true;
      clearTimeout(cutTimer);
      clearTimeout(stallTimer);
      const all = [...links];
      links.clear();
      for (const l of all) l.cut();
    },
  };

  function armCut(s: PeriodicFault): void {
    cutTimer = setTimeout(
      () => {
        for (const l of chosen(s.target)) cut(l);
        armCut(s);
      },
      rng.jitter(s.everyMs, s.jitterMs ?? 0),
    );
    cutTimer.unref();
  }
  function armStall(s: NonNullable<FaultConfig['stall']>): void {
    stallTimer = setTimeout(
      () => {
        registry.stall(s.durationMs, s.target);
        armStall(s);
      },
      rng.jitter(s.everyMs, s.jitterMs ?? 0),
    );
    stallTimer.unref();
  }

  return registry;
}
