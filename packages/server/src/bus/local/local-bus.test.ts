import { busConformance } from '../conformance.ts';
import { createLocalBus } from './local-bus.ts';
import { BusRequestError, type Bus, type BusMessage } from '../port.ts';

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
    respond: (t, r) => {
      const off = fabric.respond(t, r);
      offs.push(off);
      return off;
    },
    request: async (t, p, ms) => {
      if (closed) throw new BusRequestError('closed', t);
      return fabric.request(t, p, ms);
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
