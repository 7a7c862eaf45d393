/** The NATS bus adapter (cluster mode). */
export { createNatsBus, SKIP_HEADER } from './nats-bus.ts';
export type { NatsBusOptions } from './nats-bus.ts';
