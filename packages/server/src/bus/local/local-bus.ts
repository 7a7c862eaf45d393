import type { Bus, BusHandler, BusMessage } from '../port.ts';

/**
 * The in-process bus of the embedded mode: a topic map. Delivery is
 * synchronous and in publish order, so a single node never loses a push
 * (the sync path would heal it anyway).
 */
export function createLocalBus(): Bus {
  const topics = new Map<string, Set<BusHandler>>();
  let closed = false;
  return {
    subscribe(topic, handler) {
      let set = topics.get(topic);
      if (!set) topics.set(topic, (set = new Set()));
      // A distinct wrapper per call, so subscribing one function twice needs two unsubscribes.
      const h: BusHandler = (m) => handler(m);
      set.add(h);
      return () => {
        const s = topics.get(topic);
        if (!s) return;
        s.delete(h);
        if (s.size === 0) topics.delete(topic);
      };
    },
    publish(message: BusMessage) {
      if (closed) return;
      const set = topics.get(message.topic);
      if (!set) return;
      for (const h of set) h(message);
    },
    async close() {
      closed = true;
      topics.clear();
    },
  };
}
