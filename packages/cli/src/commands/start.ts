import { parseArgs } from 'node:util';
import { configFromProcess, ConfigError, createLogger, startNode } from '@tidings/server';
import { CliError } from '../errors.ts';

/**
 * `tidings start`: runs one node until SIGINT/SIGTERM, then shuts down
 * gracefully. Embedded by default; `--cluster` runs it against PostgreSQL
 * (TIDINGS_POSTGRES_URL) and NATS (TIDINGS_NATS_URL) beside other nodes.
 */
export async function runStart(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
      config: { type: 'string' },
      production: { type: 'boolean' },
      cluster: { type: 'boolean' },
      'node-id': { type: 'string' },
      'log-level': { type: 'string' },
    },
  });
  let config;
  try {
    config = configFromProcess(
      {
        ...(values.port !== undefined ? { port: values.port } : {}),
        ...(values.host !== undefined ? { host: values.host } : {}),
        ...(values['data-dir'] !== undefined ? { dataDir: values['data-dir'] } : {}),
        ...(values['log-level'] !== undefined ? { logLevel: values['log-level'] } : {}),
        ...(values.production ? { mode: 'production' } : {}),
        ...(values.cluster ? { cluster: 1 } : {}),
        ...(values['node-id'] !== undefined ? { nodeId: values['node-id'] } : {}),
      },
      values.config,
    );
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message);
    throw err;
  }
  const log = createLogger(config.logLevel);
  const node = await startNode(config, log);
  const { info } = node;
  if (info.devApp) {
    process.stdout.write(
      [
        '',
        `Tidings is running: ${info.wsUrl}`,
        `  development app key:    ${info.devApp.appKey}`,
        `  development app secret: ${info.devApp.appSecret}`,
        `  data directory:         ${config.dataDir}`,
        ...(config.cluster === 1 ? [`  cluster node:           ${info.nodeId} (PostgreSQL schema ${config.postgresSchema}, NATS prefix ${config.natsPrefix})`] : []),
        '',
        'Try it in two more terminals:',
        `  npm run tidings -- chat --data-dir ${config.dataDir} --user alice --to bob`,
        `  npm run tidings -- chat --data-dir ${config.dataDir} --user bob --to alice`,
        '',
      ].join('\n') + '\n',
    );
  }
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'signal received');
    node.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}
