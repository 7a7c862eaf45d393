import { busConformance } from '../conformance.ts';
import { createLocalBus } from './local-bus.ts';
import type { Bus, BusMessage } from '../port.ts';

// Two "nodes" in one process share one fabric: a hub bus both attach to.
busConformance('local', async () => {
  const hub = createLocalBus();
  shared ??= hub;
  const fabric = shared;
  const offs: Array<() => void> = [];
  const bus: Bus = {
    subscribe: (t, h) => {
      const off = fabric.subscribe(t, h);
      offs.push(off);
      return off;
    },
    publish: (m: BusMessage) => {
      if (!closed) fabric.publish(m);
    },
    close: async () => {
      closed = true;
      for (const o of offs) o();
    },
  };
  let closed = false;
  return bus;
});
let shared: Bus | undefined;
