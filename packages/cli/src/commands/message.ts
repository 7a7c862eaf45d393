import { parseArgs } from 'node:util';
import { CliError } from '../errors.ts';
import { REMOTE_OPTIONS, api, appFrom, print } from './remote.ts';

const USAGE = `usage:
  tidings message send --from USER --to USER --text TEXT [--type T] [--key IDEMPOTENCY_KEY]
  tidings message send --system --to USER --text TEXT [--type T] [--key IDEMPOTENCY_KEY]
  tidings message send --room ROOM [--from USER] --text TEXT [--type T] [--key IDEMPOTENCY_KEY] [--priority high|normal|low]
  tidings message history <convId> [--from-seq N] [--to-seq N] [--limit N]
  tidings message recall <convId> <seq>`;

function int(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`--${flag} must be a positive integer`);
  return n;
}

const isPriority = (v: string): v is 'high' | 'normal' | 'low' => v === 'high' || v === 'normal' || v === 'low';

/** `tidings message ...`: send, read and recall through the signed server API. */
export async function runMessage(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...REMOTE_OPTIONS,
      from: { type: 'string' },
      to: { type: 'string' },
      text: { type: 'string' },
      type: { type: 'string' },
      key: { type: 'string' },
      system: { type: 'boolean' },
      room: { type: 'string' },
      priority: { type: 'string' },
      'from-seq': { type: 'string' },
      'to-seq': { type: 'string' },
      limit: { type: 'string' },
    },
  });
  const [verb, convId, seq] = positionals;
  const client = appFrom(values);
  if (verb === 'send' && values.room !== undefined) {
    const priority = values.priority;
    if (values.text === undefined || values.to || values.system) throw new CliError(USAGE);
    if (priority !== undefined && !isPriority(priority)) throw new CliError('--priority must be high, normal or low');
    const m = {
      type: values.type ?? 'text',
      content: values.text,
      ...(values.key ? { idempotencyKey: values.key } : {}),
      ...(values.from ? { from: values.from } : {}),
      ...(priority ? { priority } : {}),
    };
    const r = await api(client.messages.sendRoom(values.room, m));
    const what = r.duplicate ? 'already sent' : r.shed ? 'shed (room overloaded)' : 'sent';
    return print(values, r, (x) => `${what}: ${x.convId} #${x.seq}${x.msgId ? ` (${x.msgId})` : ''}`);
  }
  if (verb === 'send') {
    if (!values.to || values.text === undefined || (!values.system && !values.from)) throw new CliError(USAGE);
    const m = { type: values.type ?? 'text', content: values.text, ...(values.key ? { idempotencyKey: values.key } : {}) };
    const r = await api(values.system ? client.messages.sendSystem(values.to, m) : client.messages.sendPrivate(values.from!, values.to, m));
    return print(values, r, (x) => `${x.duplicate ? 'already sent' : 'sent'}: ${x.convId} #${x.seq} (${x.msgId})`);
  }
  if (verb === 'history' && convId) {
    const range = { fromSeq: int('from-seq', values['from-seq']), toSeq: int('to-seq', values['to-seq']), limit: int('limit', values.limit) };
    const page = await api(
      client.conversations.history(convId, Object.fromEntries(Object.entries(range).filter(([, v]) => v !== undefined))),
    );
    const text = (b: Uint8Array) => new TextDecoder().decode(b);
    return print(
      values,
      { ...page, messages: page.messages.map((m) => ({ ...m, content: Buffer.from(m.content).toString('base64'), text: text(m.content) })) },
      (p) => p.messages.map((m) => `#${m.seq} ${m.senderId} [${m.type}] ${m.text}`).join('\n') || '(no messages)',
    );
  }
  if (verb === 'recall' && convId && seq) {
    const r = await api(client.conversations.recall(convId, int('seq', seq)!));
    return print(values, r, (x) => `recalled #${seq}: recall entry ${x.convId} #${x.seq}`);
  }
  throw new CliError(USAGE);
}
