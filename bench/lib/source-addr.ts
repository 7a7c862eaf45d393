/**
 * Source addresses a load generator rotates through. Every address of
 * 127.0.0.0/8 is local on Linux, and each has its own ~28,000 ephemeral ports
 * (net.ipv4.ip_local_port_range), so thousands of sockets from one process
 * never run out of ports, however often a run is repeated (TIME_WAIT).
 */
export const SOURCE_ADDRESSES: readonly string[] = Array.from({ length: 16 }, (_, i) => `127.0.0.${10 + i}`);

/** The source address of the `i`-th socket of a run (round robin). */
export function sourceAddress(i: number): string {
  return SOURCE_ADDRESSES[i % SOURCE_ADDRESSES.length]!;
}
