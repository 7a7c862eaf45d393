import { BusRequestError, type Bus, type BusHandler, type BusMessage, type BusResponder } from '../port.ts';

/**
 * The in-process bus of the embedded mode: a topic map. Delivery is
 * synchronous and in publish order, so a single node never loses a push
 * (the sync path would heal it anyway).
 */
export function createLocalBus(): Bus {
  const topics = new Map<string, Set<BusHandler>>();
  const responders = new Map<string, BusResponder>();
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
    respond(topic, responder) {
      // A distinct wrapper per call, so a stale unsubscribe never removes a newer responder.
      const r: BusResponder = (p) => responder(p);
      responders.set(topic, r);
      return () => {
        if (responders.get(topic) === r) responders.delete(topic);
      };
    },
    async request(topic, payload, timeoutMs) {
      if (closed) throw new BusRequestError('closed', topic);
      const r = responders.get(topic);
      if (!r) throw new BusRequestError('no_responders', topic);
      let timer: NodeJS.Timeout | undefined;
      try {
        return await Promise.race([
          (async () => r(payload))().catch((cause: unknown) => {
            throw new BusRequestError('failed', topic, { cause });
          }),
          new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new BusRequestError('timeout', topic)), timeoutMs))),
        ]);
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      closed = true;
      topics.clear();
      responders.clear();
    },
  };
}
