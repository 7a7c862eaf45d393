/**
 * Servers the benchmarks drive: Tidings, a plain `ws` server (the physical
 * baseline), Socket.IO, and two brokers (NATS, Mosquitto/MQTT) as upper
 * anchors with no persistence and a different protocol.
 */
export type Target = 'tidings' | 'ws' | 'socketio' | 'nats' | 'mqtt';

/** A server under test, running as a child process we started. */
export interface ServerHandle {
  /** What is measured: `tidings`, or a peer (`ws` is the plain baseline). */
  readonly target: Target;
  /** Pid of the server process, for /proc sampling. */
  readonly pid: number;
  readonly wsUrl: string;
  /** Tidings only: path of `<dataDir>/runtime.json` (holds the dev app's token key). */
  readonly runtimeFile?: string;
  /** Stops the process and removes its temporary files. */
  stop(): Promise<void>;
}
