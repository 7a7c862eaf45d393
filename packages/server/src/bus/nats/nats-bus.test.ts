import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { busConformance } from '../conformance.ts';
import type { BusMessage } from '../port.ts';
import { createNatsBus } from './nats-bus.ts';
import { subjectRoot, topicSubject } from './subjects.ts';
import { NATS_URL, freshPrefix, requireNats } from './nats.fixture.ts';

const prefix = freshPrefix();
// Fails every test of the file, with the reason, when the service is down.
before(() => requireNats());

// Each open() is a separate NATS connection: two nodes on one server.
busConformance('nats', () => createNatsBus({ servers: NATS_URL, prefix }));

async function until(predicate: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('nats bus - topics with NATS wildcards, spaces and unicode map to distinct single tokens', () => {
  const root = subjectRoot('p');
  const topics = ['u.a.b', 'u.a.*', 'u.a.>', 'u a b', '', 'ü.日本', 'u.a.b '];
  const subjects = topics.map((t) => topicSubject(root, t));
  assert.equal(new Set(subjects).size, topics.length);
  for (const s of subjects) assert.match(s, /^tidings\.p\.t[A-Za-z0-9_-]*$/);
  assert.throws(() => subjectRoot('a.b'), RangeError);
  assert.throws(() => subjectRoot('*'), RangeError);
});

test('nats bus - a wildcard-looking topic receives only its own messages; unsubscribing one handler keeps the others', async () => {
  const p = freshPrefix();
  const n1 = await createNatsBus({ servers: NATS_URL, prefix: p });
  const n2 = await createNatsBus({ servers: NATS_URL, prefix: p });
  try {
    const star: BusMessage[] = [];
    const plain: BusMessage[] = [];
    const twice: BusMessage[] = [];
    n1.subscribe('u.a.*', (m) => star.push(m));
    n1.subscribe('u.a.>', (m) => star.push(m));
    n1.subscribe('u.a.b', (m) => plain.push(m));
    const offA = n1.subscribe('u.a.b', (m) => twice.push(m));
    await new Promise((r) => setTimeout(r, 50));
    n2.publish({ topic: 'u.a.b', payload: new Uint8Array([1]) });
    await until(() => plain.length === 1 && twice.length === 1);
    offA();
    n2.publish({ topic: 'u.a.b', payload: new Uint8Array([2]) });
    n2.publish({ topic: 'u.a.*', payload: new Uint8Array([3]), skipConnection: 'conn 1.*' });
    await until(() => plain.length === 2 && star.length === 1);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(
      plain.map((m) => m.payload[0]),
      [1, 2],
    );
    assert.equal(twice.length, 1, 'an unsubscribed handler gets nothing more');
    assert.deepEqual(
      star.map((m) => [m.topic, m.payload[0], m.skipConnection]),
      [['u.a.*', 3, 'conn 1.*']],
    );
    assert.equal(plain[0]!.skipConnection, undefined);
  } finally {
    await n1.close();
    await n2.close();
  }
});

test('nats bus - close drains published messages and is idempotent', async () => {
  const p = freshPrefix();
  const sub = await createNatsBus({ servers: NATS_URL, prefix: p });
  const pub = await createNatsBus({ servers: NATS_URL, prefix: p });
  try {
    const got: number[] = [];
    sub.subscribe('t', (m) => got.push(m.payload[0]!));
    await new Promise((r) => setTimeout(r, 50));
    for (let i = 0; i < 200; i++) pub.publish({ topic: 't', payload: new Uint8Array([i]) });
    await pub.close();
    await pub.close();
    await until(() => got.length === 200);
    assert.deepEqual(
      got,
      Array.from({ length: 200 }, (_, i) => i),
    );
  } finally {
    await sub.close();
  }
});

test('nats bus - an unreachable server is an error naming it', async () => {
  await assert.rejects(
    createNatsBus({ servers: 'nats://127.0.0.1:1' }),
    /NATS at nats:\/\/127\.0\.0\.1:1 is unreachable/,
  );
});
