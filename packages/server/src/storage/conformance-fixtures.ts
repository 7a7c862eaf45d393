import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { AppRecord, SendInput, SendOutcome, StoredMessage, Store } from './port.ts';

/** Builders and comparers shared by the storage conformance cases. */

/** Registers one test that gets a freshly opened store and always closes it. */
/**
 * Registers a conformance case run against a fresh store; `another()` opens
 * one more store on the same database (another node or process), closed with it.
 */
export type WithStore = (title: string, fn: (store: Store, another: () => Promise<Store>) => Promise<void>) => void;

/** A random id, unique across runs, so tests can share one database. */
export function uid(prefix: string): string {
  return `${prefix}-${randomUUID()}`;
}

/** A new enabled app with a random key. */
export function app(): AppRecord {
  return {
    appKey: uid('app'),
    name: 'Test app',
    appSecret: uid('secret'),
    tokenKey: 'a2V5',
    disabled: false,
    createdAt: 1_700_000_000_000,
  };
}

/** A valid first send of u1/d1 in g:a of a new app, overridden by `over`. */
export function send(over: Partial<SendInput>): SendInput {
  return {
    appKey: uid('app'),
    convId: 'g:a',
    kind: 'group',
    members: ['u1', 'u2'],
    senderId: 'u1',
    senderDevice: 'd1',
    clientMsgId: uid('c'),
    senderSeq: 1,
    type: 'text',
    content: new TextEncoder().encode('hello'),
    flags: 0,
    msgId: uid('msg'),
    ts: 1_700_000_000_000,
    ...over,
  };
}

/** A sender (u1/d1) in a fresh app that keeps its own senderSeq per conversation. */
export function sender(store: Store) {
  const appKey = uid('app');
  const sent = new Map<string, SendInput[]>();
  const next = (convId: string): SendInput => {
    const list = sent.get(convId) ?? [];
    const input = send({ appKey, convId, senderSeq: list.length + 1, ts: 1_700_000_000_000 + list.length });
    sent.set(convId, [...list, input]);
    return input;
  };
  return {
    appKey,
    next,
    sent: (convId: string, senderSeq: number): SendInput => {
      const input = sent.get(convId)?.[senderSeq - 1];
      assert.ok(input, `nothing sent at ${senderSeq} in ${convId}`);
      return input;
    },
    send: (convId: string, count: number) => store.commitSends(Array.from({ length: count }, () => next(convId))),
  };
}

/** The stored-message fields an input determines (all but seq). */
export function fieldsOf(input: SendInput): Omit<StoredMessage, 'seq'> {
  const { kind: _kind, members: _members, ...rest } = input;
  return rest;
}

/** The seq of a `stored` outcome; fails the test for any other outcome. */
export function seqOf(o: SendOutcome): number {
  assert.ok(o.status === 'stored', `expected stored, got ${o.status}`);
  return o.message.seq;
}

/** `status:seq` for stored and duplicate outcomes, `status:expected` otherwise. */
export function brief(o: SendOutcome): string {
  return o.status === 'stored' || o.status === 'duplicate'
    ? `${o.status}:${o.message.seq}`
    : o.status === 'refused'
      ? `refused:${o.code}`
      : `${o.status}:${o.expectedSenderSeq}`;
}

/** A message with its content as a plain array, so adapters' byte types compare equal. */
export function plain(m: StoredMessage): unknown {
  return { ...m, content: [...m.content] };
}

/** An outcome with plain-array content, for deepEqual across adapters. */
export function norm(o: SendOutcome | undefined): { status: string; message?: unknown } | undefined {
  if (o === undefined) return undefined;
  return 'message' in o ? { status: o.status, message: plain(o.message) } : o;
}

/** Fails unless `values` strictly increase. */
export function assertIncreasing(values: readonly number[]): void {
  for (let i = 1; i < values.length; i++)
    assert.ok(values[i - 1]! < values[i]!, `versions not increasing: ${values.join(',')}`);
}

/** A sorted copy of `items` by a string key. */
export function sortBy<T>(items: readonly T[], key: (x: T) => string): T[] {
  return [...items].sort((x, y) => (key(x) < key(y) ? -1 : 1));
}
