import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BusRequestError, type Bus, type BusMessage } from './port.ts';

/** Resolves once `predicate()` holds, polling; rejects after `ms`. */
async function until(predicate: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * The shared bus conformance suite. `open()` returns a bus attached to the
 * same routing fabric as every other bus it returned (two nodes).
 */
export function busConformance(name: string, open: () => Promise<Bus>): void {
  test(`${name} bus - delivers to subscribers of the topic only, payload intact, in order`, async () => {
    const n1 = await open();
    const n2 = await open();
    try {
      const got1: BusMessage[] = [];
      const got2: BusMessage[] = [];
      const off1 = n1.subscribe('u.app.alice', (m) => got1.push(m));
      const off2 = n2.subscribe('u.app.bob', (m) => got2.push(m));
      await new Promise((r) => setTimeout(r, 50));
      for (let i = 0; i < 100; i++) n2.publish({ topic: 'u.app.alice', payload: new Uint8Array([i, 1, 2]) });
      n1.publish({ topic: 'u.app.bob', payload: new Uint8Array([9]), skipConnection: 'c1' });
      await until(() => got1.length === 100 && got2.length === 1);
      assert.deepEqual(
        got1.map((m) => m.payload[0]),
        Array.from({ length: 100 }, (_, i) => i),
      );
      assert.deepEqual([...got1[0]!.payload], [0, 1, 2]);
      assert.equal(got2[0]!.skipConnection, 'c1');
      assert.equal(got2[0]!.topic, 'u.app.bob');
      off1();
      off2();
    } finally {
      await n1.close();
      await n2.close();
    }
  });

  test(`${name} bus - unsubscribe stops delivery; topics with dots and odd ids work`, async () => {
    const n1 = await open();
    const n2 = await open();
    try {
      const got: string[] = [];
      const topic = 'u.app_x.us.er@x=+-';
      const off = n1.subscribe(topic, (m) => got.push(new TextDecoder().decode(m.payload)));
      const other: string[] = [];
      n1.subscribe('u.app_x.us', (m) => other.push(new TextDecoder().decode(m.payload)));
      await new Promise((r) => setTimeout(r, 50));
      n2.publish({ topic, payload: new TextEncoder().encode('one') });
      await until(() => got.length === 1);
      off();
      await new Promise((r) => setTimeout(r, 50));
      n2.publish({ topic, payload: new TextEncoder().encode('two') });
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(got, ['one']);
      assert.deepEqual(other, [], 'a topic that is a prefix of another must not receive it');
    } finally {
      await n1.close();
      await n2.close();
    }
  });

  test(`${name} bus - publish after close is a no-op, not a crash`, async () => {
    const n = await open();
    await n.close();
    n.publish({ topic: 'u.a.b', payload: new Uint8Array(1) });
  });

  test(`${name} bus - a request reaches the topic's responder and resolves with its answer; failures name their reason`, async () => {
    const n1 = await open();
    const n2 = await open();
    try {
      const seen: number[] = [];
      const off = n1.respond('rq.node1', async (p) => {
        seen.push(p[0]!);
        if (p[0] === 255) throw new Error('refused');
        if (p[0] === 254) await new Promise((r) => setTimeout(r, 400));
        return new Uint8Array([p[0]! + 1, 7]);
      });
      await new Promise((r) => setTimeout(r, 50));
      const answers = await Promise.all([1, 2, 3].map((i) => n2.request('rq.node1', new Uint8Array([i]), 2000)));
      assert.deepEqual(
        answers.map((a) => [...a]),
        [
          [2, 7],
          [3, 7],
          [4, 7],
        ],
      );
      const reason = (p: Promise<unknown>): Promise<string> =>
        p.then(
          () => 'answered',
          (e: unknown) => (e instanceof BusRequestError ? e.reason : `other: ${String(e)}`),
        );
      assert.equal(await reason(n2.request('rq.node1', new Uint8Array([255]), 2000)), 'failed');
      assert.equal(await reason(n2.request('rq.node1', new Uint8Array([254]), 100)), 'timeout');
      const t0 = Date.now();
      assert.equal(await reason(n2.request('rq.nobody', new Uint8Array([1]), 5000)), 'no_responders');
      assert.ok(Date.now() - t0 < 2000, 'a topic without a responder is known at once, not by timeout');
      off();
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(await reason(n2.request('rq.node1', new Uint8Array([1]), 5000)), 'no_responders');
      assert.deepEqual(seen, [1, 2, 3, 255, 254]);
      await n2.close();
      assert.equal(await reason(n2.request('rq.node1', new Uint8Array([1]), 100)), 'closed');
    } finally {
      await n1.close();
      await n2.close();
    }
  });
}
