/** A server under test, running as a child process we started. */
export interface ServerHandle {
  /** What is measured: `tidings` or `ws` (the baseline). */
  readonly target: 'tidings' | 'ws';
  /** Pid of the server process, for /proc sampling. */
  readonly pid: number;
  readonly wsUrl: string;
  /** Tidings only: path of `<dataDir>/runtime.json` (holds the dev app's token key). */
  readonly runtimeFile?: string;
  /** Stops the process and removes its temporary files. */
  stop(): Promise<void>;
}
