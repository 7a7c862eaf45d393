// Two users talk through a running Tidings node (start one with `npm start`).
import { readFileSync } from 'node:fs';
import { createClient, privateConvId } from '@tidings/sdk';
import { issueUserToken } from '@tidings/server';

// Development only: mint tokens with the dev app that `npm start` wrote down. In production your backend does this.
const runtime = JSON.parse(readFileSync(`${process.env.TIDINGS_DATA_DIR ?? '.tidings'}/runtime.json`, 'utf8'));
const token = (user: string) => () => issueUserToken(runtime.devApp, user, 3600);

// serverKey pins the node's long-term key (required): the secure session (on by default) then also stops a man in the middle.
const alice = createClient({ url: runtime.wsUrl, token: token('alice'), serverKey: runtime.serverKey });
const bob = createClient({ url: runtime.wsUrl, token: token('bob'), serverKey: runtime.serverKey });
const done = new Promise<void>((resolve) =>
  bob.on('message', (m) => {
    console.log(`bob got #${m.seq} from ${m.senderId}: ${new TextDecoder().decode(m.content)}`);
    if (m.seq === 3) resolve();
  }),
);
await Promise.all([alice.connect(), bob.connect()]);
const conv = privateConvId('alice', 'bob');
for (const text of ['hello', 'how are you?', 'bye']) await alice.send(conv, { type: 'text', content: text });
await done;
await Promise.all([alice.close(), bob.close()]);
