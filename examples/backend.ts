// An app backend talking to Tidings through the server SDK.
// Start a development node first (`npm start`), then: npx node examples/backend.ts
// In production pass TIDINGS_URL, TIDINGS_APP_KEY and TIDINGS_APP_SECRET instead of reading runtime.json.
import { readFileSync } from 'node:fs';
import { createServerClient, ServerApiError } from '@tidings/server-sdk';

const runtime = JSON.parse(readFileSync(`${process.env.TIDINGS_DATA_DIR ?? '.tidings'}/runtime.json`, 'utf8'));
const tidings = createServerClient({
  baseUrl: process.env.TIDINGS_URL ?? runtime.httpUrl,
  appKey: process.env.TIDINGS_APP_KEY ?? runtime.devApp.appKey,
  appSecret: process.env.TIDINGS_APP_SECRET ?? runtime.devApp.appSecret,
});

// Your sign-up handler: register the user and hand their client a token, with the node's key the client must pin.
await tidings.users.upsert('alice', { name: 'Alice', extra: { plan: 'pro' } });
const { token, expiresAt } = await tidings.users.issueToken('alice', 3600);
const serverKey = await tidings.serverKey(); // createClient({ url, token, serverKey }) on the client
console.log(`token for alice (valid until ${new Date(expiresAt).toISOString()}): ${token.slice(0, 20)}...; server key ${serverKey}`);

// An order event: a message on behalf of the shop, safe to retry with the same key.
const sent = await tidings.messages.sendPrivate('shop', 'alice', { type: 'text', content: 'Your order #42 shipped', idempotencyKey: 'order-42-shipped' });
const again = await tidings.messages.sendPrivate('shop', 'alice', { type: 'text', content: 'Your order #42 shipped', idempotencyKey: 'order-42-shipped' });
console.log(`sent ${sent.convId} #${sent.seq}; the retry was ${again.duplicate ? 'deduplicated' : 'sent again (!)'}`);

await tidings.messages.sendSystem('alice', { type: 'notice', content: 'Maintenance tonight at 02:00', idempotencyKey: 'maint-1' });
const page = await tidings.conversations.history(sent.convId, { fromSeq: 1, limit: 10 });
for (const m of page.messages) console.log(`#${m.seq} ${m.senderId}: ${new TextDecoder().decode(m.content)}`);

try {
  await tidings.users.get('nobody');
} catch (err) {
  if (err instanceof ServerApiError) console.log(`expected error: ${err.code}`);
}
