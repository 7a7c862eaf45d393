import { parseArgs } from 'node:util';

/** Settings of one load-generator run. */
export interface GenOptions {
  readonly target: 'tidings' | 'ws';
  /** Server URL, or several comma-separated (cluster nodes). */
  readonly url: string;
  /** Tidings only: runtime.json of the server (holds the dev app's token key). */
  readonly runtime: string;
  readonly pairs: number;
  /** Aggregate offered rate, messages per second, spread over all senders. */
  readonly rate: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  /** How long to wait for outstanding pushes and acks after the last send. */
  readonly drainMs: number;
  readonly maxMessages: number;
  readonly contentBytes: number;
  /** The run is invalid when the p99 lag of actual behind intended send time exceeds this. */
  readonly maxLagMs: number;
  /** The run is invalid when the generator used more than this fraction of one core. */
  readonly maxCpu: number;
  /** Tidings only: speak the secure session (seal and open every record) instead of plaintext frames. */
  readonly secure: boolean;
}

/** Parses the generator's command line; throws on bad values. */
export function parseGenOptions(argv: readonly string[]): GenOptions {
  const { values: v } = parseArgs({
    args: [...argv],
    options: {
      target: { type: 'string', default: 'tidings' },
      url: { type: 'string' },
      runtime: { type: 'string', default: '' },
      pairs: { type: 'string', default: '50' },
      rate: { type: 'string', default: '10000' },
      'warmup-ms': { type: 'string', default: '2000' },
      'duration-ms': { type: 'string', default: '10000' },
      'drain-ms': { type: 'string', default: '3000' },
      'max-messages': { type: 'string', default: '2000000' },
      'content-bytes': { type: 'string', default: '100' },
      'max-lag-ms': { type: 'string', default: '10' },
      'max-cpu': { type: 'string', default: '0.9' },
      secure: { type: 'boolean', default: false },
    },
  });
  const num = (name: string, raw: string | undefined, min: number, max: number): number => {
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${name} must be a number in [${min}, ${max}], got ${raw}`);
    return n;
  };
  if (v.target !== 'tidings' && v.target !== 'ws') throw new Error('--target must be tidings or ws');
  // Several comma-separated URLs (cluster nodes): sender i connects to URL i mod n, so each pair spans two nodes.
  if (!v.url || !v.url.split(',').every((u) => /^ws:\/\/127\.0\.0\.1:\d+\//.test(u))) throw new Error('--url must be ws://127.0.0.1:<port>/... (traffic stays local), comma-separated for several');
  if (v.target === 'tidings' && !v.runtime) throw new Error('--runtime <runtime.json> is required for --target tidings');
  return {
    target: v.target,
    url: v.url,
    runtime: v.runtime ?? '',
    pairs: num('pairs', v.pairs, 1, 5000),
    rate: num('rate', v.rate, 1, 1_000_000),
    warmupMs: num('warmup-ms', v['warmup-ms'], 0, 60_000),
    durationMs: num('duration-ms', v['duration-ms'], 100, 120_000),
    drainMs: num('drain-ms', v['drain-ms'], 0, 60_000),
    maxMessages: num('max-messages', v['max-messages'], 1, 10_000_000),
    contentBytes: num('content-bytes', v['content-bytes'], 16, 60_000),
    maxLagMs: num('max-lag-ms', v['max-lag-ms'], 0.1, 10_000),
    maxCpu: num('max-cpu', v['max-cpu'], 0.01, 64),
    secure: v.secure === true,
  };
}
