#!/usr/bin/env node
// The `tidings` command.
import { runStart } from './commands/start.ts';
import { runApps } from './commands/apps.ts';
import { runUser } from './commands/user.ts';
import { runMessage } from './commands/message.ts';
import { runToken } from './commands/token.ts';
import { runCert } from './commands/cert.ts';
import { runChat } from './commands/chat.ts';
import { runServerKey } from './commands/server-key.ts';
import { CliError } from './errors.ts';

const USAGE = `tidings: self-hostable messaging server

Usage:
  tidings start [--port N] [--host H] [--data-dir D] [--config FILE] [--production] [--cluster] [--node-id N]
  tidings app create <name> | list | disable <key> | enable <key> | rotate-secret <key> [--grace S]
  tidings user upsert|get|token|revoke|block|unblock|online|delete <userId> [--name N] [--ttl S]
  tidings message send --from U --to U --text T [--key K] | send --system --to U --text T
  tidings message history <convId> [--from-seq N] [--to-seq N] [--limit N] | recall <convId> <seq>
  tidings token --user ID [--app KEY] [--ttl SECONDS] [--data-dir D]
  tidings chat --user ID --to PEER [--url WS_URL --server-key KEY] [--app KEY] [--data-dir D]
  tidings server-key [--url URL --app KEY --secret S]
  tidings cert dev [--out DIR] [--host NAME]... [--days N] [--force]

Settings come from defaults < --config file < TIDINGS_* environment < flags.
app, user, message and server-key call the server API: --url (or TIDINGS_URL) and the
operator token (--operator-token, TIDINGS_OPERATOR_TOKEN) or app credentials
(--app/--secret, TIDINGS_APP_KEY/TIDINGS_APP_SECRET); by default the local
development node of --data-dir. Add --json for one JSON line per result.
`;

const commands: Record<string, (args: string[]) => Promise<void>> = {
  start: runStart,
  app: runApps,
  user: runUser,
  message: runMessage,
  token: runToken,
  chat: runChat,
  'server-key': runServerKey,
  cert: runCert,
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
