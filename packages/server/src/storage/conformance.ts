import { suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { RANGE_ROW_OVERHEAD, type Store } from './port.ts';
import {
  app,
  assertIncreasing,
  brief,
  norm,
  plain,
  send,
  sender,
  seqOf,
  sortBy,
  uid,
  type WithStore,
} from './conformance-fixtures.ts';
import { sendCases } from './conformance-sends.ts';
import { apiCases } from './conformance-api.ts';
import { webhookCases } from './conformance-webhooks.ts';
import { groupCases } from './conformance-groups.ts';
import { roomCases } from './conformance-rooms.ts';

/**
 * The storage port's conformance suite: every adapter runs it against a real
 * engine. `open` must return a fresh store over the SAME data each time it is
 * called (same file, same database), so the suite can close a store and reopen
 * it. Each test works in apps of its own (random keys), so the data may be
 * shared with other tests and runs.
 *
 * @example
 * ```ts
 * storageConformance('sqlite', () => createSqliteStore({ path }));
 * ```
 */
export function storageConformance(name: string, open: () => Promise<Store>): void {
  const withStore: WithStore = (title, fn) => {
    test(title, async () => {
      const store = await open();
      const others: Store[] = [];
      try {
        await fn(store, async () => {
          const s = await open();
          others.push(s);
          return s;
        });
      } finally {
        await Promise.all(others.map((s) => s.close()));
        await store.close();
      }
    });
  };

  suite(`storage conformance: ${name}`, () => {
    withStore('apps - create, get, list and disable', async (store) => {
      const a = app();
      const b = app();
      assert.equal(await store.getApp(a.appKey), undefined);
      await store.createApp(a);
      await store.createApp(b);
      assert.deepEqual(await store.getApp(a.appKey), a);
      const listed = (await store.listApps()).filter((x) => x.appKey === a.appKey || x.appKey === b.appKey);
      assert.deepEqual(
        sortBy(listed, (x) => x.appKey),
        sortBy([a, b], (x) => x.appKey),
      );
      await store.setAppDisabled(a.appKey, true);
      assert.deepEqual(await store.getApp(a.appKey), { ...a, disabled: true });
      assert.deepEqual(await store.getApp(b.appKey), b);
      await store.setAppDisabled(a.appKey, false);
      assert.equal((await store.getApp(a.appKey))?.disabled, false);
    });

    withStore('apps - creating an existing key or disabling an unknown one rejects', async (store) => {
      const a = app();
      await store.createApp(a);
      await assert.rejects(store.createApp({ ...a, name: 'other' }));
      assert.equal((await store.getApp(a.appKey))?.name, a.name);
      await assert.rejects(store.setAppDisabled(uid('missing'), true));
    });

    withStore('seq - starts at 1 and is gapless per conversation, across batches', async (store) => {
      const s = sender(store);
      const outcomes = [...(await s.send('g:a', 3)), ...(await s.send('g:a', 2)), ...(await s.send('g:b', 2))];
      assert.deepEqual(outcomes.map(seqOf), [1, 2, 3, 4, 5, 1, 2]);
      assert.equal(await store.maxSeq(s.appKey, 'g:a'), 5);
      assert.equal(await store.maxSeq(s.appKey, 'g:b'), 2);
      assert.equal(await store.maxSeq(s.appKey, 'g:none'), 0);
    });

    withStore('seq - different senders interleave in one gapless stream', async (store) => {
      const appKey = uid('app');
      const batch = [
        send({ appKey, senderId: 'u1' }),
        send({ appKey, senderId: 'u2' }),
        send({ appKey, senderId: 'u1', senderSeq: 2 }),
      ];
      assert.deepEqual((await store.commitSends(batch)).map(seqOf), [1, 2, 3]);
    });

    withStore('seq - the same conversation id in two apps is two streams', async (store) => {
      const a = sender(store);
      const b = sender(store);
      assert.deepEqual((await a.send('g:same', 2)).map(seqOf), [1, 2]);
      assert.deepEqual((await b.send('g:same', 1)).map(seqOf), [1]);
      assert.equal(await store.maxSeq(a.appKey, 'g:same'), 2);
      assert.equal(await store.maxSeq(b.appKey, 'g:same'), 1);
    });

    sendCases(withStore);
    apiCases(withStore);
    webhookCases(withStore);
    groupCases(withStore);
    roomCases(withStore);

    withStore('change index - every member gets the new maxSeq with increasing versions', async (store) => {
      const appKey = uid('app');
      const members = ['u1', 'u2', 'u3'];
      await store.commitSends([
        send({ appKey, convId: 'g:a', members }),
        send({ appKey, convId: 'g:b', members: ['u1', 'u2'] }),
      ]);
      await store.commitSends([send({ appKey, convId: 'g:a', members, senderSeq: 2 })]);
      const u1 = await store.changesSince(appKey, 'u1', 0, 100);
      assert.deepEqual(
        u1.map((c) => [c.convId, c.maxSeq]),
        [
          ['g:b', 1],
          ['g:a', 2],
        ],
      );
      assertIncreasing(u1.map((c) => c.version));
      const u3 = await store.changesSince(appKey, 'u3', 0, 100);
      assert.deepEqual(
        u3.map((c) => [c.convId, c.maxSeq]),
        [['g:a', 2]],
      );
      assert.deepEqual(await store.changesSince(appKey, 'nobody', 0, 100), []);
      const [before] = await store.changesSince(appKey, 'u2', 0, 1);
      await store.commitSends([send({ appKey, convId: 'g:b', members: ['u2'], senderSeq: 2, senderDevice: 'd1' })]);
      const u2 = await store.changesSince(appKey, 'u2', 0, 100);
      assert.deepEqual(
        u2.map((c) => [c.convId, c.maxSeq]),
        [
          ['g:a', 2],
          ['g:b', 2],
        ],
      );
      assert.ok(before && u2.every((c) => c.version > before.version));
    });

    withStore('change index - rejected and duplicate sends leave it unchanged', async (store) => {
      const first = send({});
      await store.commitSends([first]);
      const before = await store.changesSince(first.appKey, 'u2', 0, 100);
      await store.commitSends([
        first,
        send({ ...first, clientMsgId: uid('c'), senderSeq: 5 }),
        send({ ...first, clientMsgId: uid('c') }),
      ]);
      assert.deepEqual(await store.changesSince(first.appKey, 'u2', 0, 100), before);
    });

    withStore('change index - changesSince pages by version and limit', async (store) => {
      const appKey = uid('app');
      const convs = ['g:1', 'g:2', 'g:3', 'g:4', 'g:5'];
      for (const convId of convs) await store.commitSends([send({ appKey, convId, members: ['u9'] })]);
      const seen: string[] = [];
      let after = 0;
      for (
        let page = await store.changesSince(appKey, 'u9', after, 2);
        page.length > 0;
        page = await store.changesSince(appKey, 'u9', after, 2)
      ) {
        assert.ok(page.length <= 2);
        for (const c of page) {
          assert.ok(c.version > after);
          after = c.version;
          seen.push(c.convId);
        }
      }
      assert.deepEqual(seen, convs);
      assert.deepEqual(await store.changesSince(appKey, 'u9', 0, 0), []);
    });

    withStore('readRange - honours both bounds and the limit, in seq order', async (store) => {
      const s = sender(store);
      await s.send('g:r', 10);
      const seqs = async (from: number, to: number, limit: number) =>
        (await store.readRange(s.appKey, 'g:r', from, to, limit)).map((m) => m.seq);
      assert.deepEqual(await seqs(3, 6, 100), [3, 4, 5, 6]);
      assert.deepEqual(await seqs(3, 6, 2), [3, 4]);
      assert.deepEqual(await seqs(8, 50, 100), [8, 9, 10]);
      assert.deepEqual(await seqs(0, 2, 100), [1, 2]);
      assert.deepEqual(await seqs(6, 3, 100), []);
      assert.deepEqual(await seqs(11, 20, 100), []);
      assert.deepEqual(await store.readRange(s.appKey, 'g:none', 1, 10, 10), []);
    });

    withStore(
      'readRange - a byte budget cuts the page before the message that would pass it, never after, always one',
      async (store) => {
        const s = sender(store);
        const sizes = [5000, 20_000, 3000, 40_000, 100, 100, 60_000, 10];
        await store.commitSends(sizes.map((n, i) => ({ ...s.next('g:b'), content: new Uint8Array(n).fill(i + 1) })));
        const all = await store.readRange(s.appKey, 'g:b', 1, 100, 100);
        assert.deepEqual(
          all.map((m) => m.content.byteLength),
          sizes,
        );
        for (const [from, budget] of [
          [1, 30_000],
          [1, 1],
          [2, 24_000],
          [4, 100_000],
          [7, 50_000],
          [1, 1_000_000],
        ] as const) {
          const page = await store.readRange(s.appKey, 'g:b', from, 100, 100, budget);
          const rest = all.filter((m) => m.seq >= from);
          assert.ok(page.length >= 1, `from ${from}, budget ${budget}: at least one message`);
          assert.deepEqual(
            page.map((m) => [m.seq, m.content]),
            rest.slice(0, page.length).map((m) => [m.seq, m.content]),
            'a prefix of the unbudgeted page',
          );
          const bytes = (ms: readonly { content: Uint8Array }[]) =>
            ms.reduce((n, m) => n + m.content.byteLength + RANGE_ROW_OVERHEAD, 0);
          if (page.length > 1)
            assert.ok(
              bytes(page) <= budget,
              `from ${from}, budget ${budget}: ${bytes(page)} bytes read, past the budget`,
            );
          // Stopping early is allowed only by what sealing adds (under 64 bytes a message).
          const next = rest[page.length];
          if (next)
            assert.ok(
              bytes([...page, next]) + 64 * (page.length + 1) > budget,
              `from ${from}, budget ${budget}: stopped before ${next.seq}, which fit`,
            );
        }
        // Without a budget (or an infinite one), only the limit counts.
        assert.equal((await store.readRange(s.appKey, 'g:b', 1, 100, 100, Infinity)).length, sizes.length);
      },
    );

    withStore('delivered - starts at 0, rises, never lowers, per device and conversation', async (store) => {
      const appKey = uid('app');
      assert.equal(await store.getDelivered(appKey, 'u1', 'd1', 'g:a'), 0);
      await store.setDelivered(appKey, 'u1', 'd1', 'g:a', 5);
      await store.setDelivered(appKey, 'u1', 'd1', 'g:a', 3);
      assert.equal(await store.getDelivered(appKey, 'u1', 'd1', 'g:a'), 5);
      await store.setDelivered(appKey, 'u1', 'd1', 'g:a', 9);
      assert.equal(await store.getDelivered(appKey, 'u1', 'd1', 'g:a'), 9);
      assert.equal(await store.getDelivered(appKey, 'u1', 'd2', 'g:a'), 0);
      assert.equal(await store.getDelivered(appKey, 'u1', 'd1', 'g:b'), 0);
      assert.equal(await store.getDelivered(appKey, 'u2', 'd1', 'g:a'), 0);
    });

    withStore('isolation - the same conversation, users and ids in two apps never mix', async (store) => {
      const [a, b] = [uid('app'), uid('app')];
      const shared = { convId: 'g:x', senderId: 'u1', clientMsgId: 'same', members: ['u1', 'u2'] };
      const out = await store.commitSends([send({ ...shared, appKey: a }), send({ ...shared, appKey: b })]);
      assert.deepEqual(out.map(brief), ['stored:1', 'stored:1']);
      assert.deepEqual(
        (await store.commitSends([send({ ...shared, appKey: a, clientMsgId: 'n', senderSeq: 2 })])).map(brief),
        ['stored:2'],
      );
      assert.deepEqual(
        (await store.readRange(b, 'g:x', 1, 10, 10)).map((m) => [m.appKey, m.seq]),
        [[b, 1]],
      );
      assert.deepEqual(
        (await store.changesSince(b, 'u2', 0, 10)).map((c) => c.maxSeq),
        [1],
      );
      await store.setDelivered(a, 'u2', 'd1', 'g:x', 2);
      assert.equal(await store.getDelivered(b, 'u2', 'd1', 'g:x'), 0);
    });

    test('durability - everything survives close and reopen', async () => {
      const first = await open();
      const s = sender(first);
      const a = app();
      await first.createApp(a);
      const stored = await s.send('g:d', 3);
      await first.setDelivered(s.appKey, 'u2', 'd1', 'g:d', 2);
      const changes = await first.changesSince(s.appKey, 'u2', 0, 10);
      await first.close();
      await first.close(); // idempotent

      const second = await open();
      try {
        assert.deepEqual(await second.getApp(a.appKey), a);
        assert.equal(await second.maxSeq(s.appKey, 'g:d'), 3);
        const read = await second.readRange(s.appKey, 'g:d', 1, 3, 10);
        assert.deepEqual(
          read.map(plain),
          stored.map((o) => (o.status === 'stored' ? plain(o.message) : o)),
        );
        assert.equal(await second.getDelivered(s.appKey, 'u2', 'd1', 'g:d'), 2);
        assert.deepEqual(await second.changesSince(s.appKey, 'u2', 0, 10), changes);
        const retry = await second.commitSends([{ ...s.sent('g:d', 1), msgId: uid('msg') }]);
        assert.deepEqual(retry.map(norm), [{ status: 'duplicate', message: read.map(plain)[0] }]);
        // The sender cursor survived too: 4 is the next senderSeq, and reusing 3 is a conflict.
        const reuse = send({ ...s.sent('g:d', 3), clientMsgId: uid('c'), msgId: uid('msg') });
        assert.deepEqual((await second.commitSends([reuse, s.next('g:d')])).map(brief), ['conflict:4', 'stored:4']);
      } finally {
        await second.close();
      }
    });

    withStore('atomicity - a batch with a failing input commits nothing', async (store) => {
      const ok = send({ convId: 'g:ok', members: ['u2'] });
      const clash = send({ appKey: ok.appKey, convId: 'g:other', msgId: ok.msgId, senderId: 'u3' });
      await assert.rejects(store.commitSends([ok, clash]));
      assert.equal(await store.maxSeq(ok.appKey, 'g:ok'), 0);
      assert.deepEqual(await store.readRange(ok.appKey, 'g:ok', 1, 10, 10), []);
      assert.deepEqual(await store.changesSince(ok.appKey, 'u2', 0, 10), []);
      // The sender cursor did not move either: senderSeq 1 is still the next one.
      assert.deepEqual((await store.commitSends([ok])).map(brief), ['stored:1']);
    });

    test('lifecycle - a closed store rejects calls and close is idempotent', async () => {
      const store = await open();
      await store.close();
      await store.close();
      const input = send({});
      await assert.rejects(store.commitSends([input]));
      await assert.rejects(store.maxSeq(input.appKey, input.convId));
      const reopened = await open();
      try {
        assert.equal(await reopened.maxSeq(input.appKey, input.convId), 0);
      } finally {
        await reopened.close();
      }
    });
  });
}
