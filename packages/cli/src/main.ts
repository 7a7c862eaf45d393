#!/usr/bin/env node
// The `tidings` command.
import { runStart } from './commands/start.ts';
import { runApp } from './commands/app.ts';
import { runToken } from './commands/token.ts';
import { runChat } from './commands/chat.ts';
import { CliError } from './errors.ts';

const USAGE = `tidings: self-hostable messaging server

Usage:
  tidings start [--port N] [--host H] [--data-dir D] [--config FILE] [--production]
  tidings app create <name> [--data-dir D] [--json]
  tidings app list [--data-dir D] [--json]
  tidings token --user ID [--app KEY] [--ttl SECONDS] [--data-dir D]
  tidings chat --user ID --to PEER [--url WS_URL] [--app KEY] [--data-dir D]

Settings come from defaults < --config file < TIDINGS_* environment < flags.
`;

const commands: Record<string, (args: string[]) => Promise<void>> = {
  start: runStart,
  app: runApp,
  token: runToken,
  chat: runChat,
};

const [name, ...rest] = process.argv.slice(2);
const command = name ? commands[name] : undefined;
if (!command) {
  process.stdout.write(USAGE);
  process.exit(name === undefined || name === 'help' || name === '--help' ? 0 : 2);
}
command(rest).catch((err: unknown) => {
  if (err instanceof CliError) {
    process.stderr.write(`tidings ${name}: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`tidings ${name}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
