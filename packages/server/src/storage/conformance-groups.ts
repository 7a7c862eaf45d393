import assert from 'node:assert/strict';
import type { GroupChange, SendInput, SendOutcome, Store } from './port.ts';
import { send, uid, type WithStore } from './conformance-fixtures.ts';

/** A group helper in a fresh app: every entry is sent by the API device with senderSeq 0. */
function groupOf(store: Store) {
  const appKey = uid('app');
  const groupId = uid('grp');
  const convId = `g:${groupId}`;
  let ts = 1_700_000_000_000;
  const input = (over: Partial<SendInput>): SendInput => send({ appKey, convId, kind: 'group', members: [], senderDevice: '~api', senderSeq: 0, ts: ts++, ...over });
  return {
    appKey,
    groupId,
    convId,
    input,
    change: (change: GroupChange, by = 'owner') => input({ senderId: by, type: 'tidings.group.change', group: { check: 'none', change } }),
    member: (senderId: string, senderSeq = 0) => input({ senderId, senderDevice: `${senderId}-d`, senderSeq, group: { check: 'member' } }),
    commit: (batch: SendInput[]) => store.commitSends(batch),
  };
}

const recipientsOf = (o: SendOutcome | undefined): string[] => {
  assert.ok(o?.status === 'stored', `expected stored, got ${JSON.stringify(o)}`);
  return [...(o.recipients ?? [])].sort();
};

/** Group cases of the storage conformance suite. */
export function groupCases(withStore: WithStore): void {
  withStore('groups - create, add, send: recipients come from the stored membership, in the same batch', async (store) => {
    const g = groupOf(store);
    const out = await g.commit([
      g.change({ create: { ownerId: 'owner', name: 'G', extra: '{}', historyVisible: false }, add: [{ userId: 'owner', role: 'owner' }, { userId: 'a', role: 'member' }] }),
      g.member('a'),
      g.member('b'),
      g.change({ add: [{ userId: 'b', role: 'member' }] }),
      g.member('b'),
    ]);
    assert.deepEqual(recipientsOf(out[0]), ['a', 'owner']);
    assert.deepEqual(recipientsOf(out[1]), ['a', 'owner']);
    assert.deepEqual(out[2], { status: 'refused', code: 'send.not_member' });
    assert.deepEqual(recipientsOf(out[3]), ['a', 'b', 'owner']);
    assert.equal(out[4]?.status === 'stored' && out[4].message.seq, 4);
    const group = await store.getGroup(g.appKey, g.groupId);
    assert.equal(group?.memberCount, 3);
    assert.equal(group?.ownerId, 'owner');
    assert.equal(group?.historyVisible, false);
    assert.deepEqual(await store.getGroupMember(g.appKey, g.groupId, 'b'), { userId: 'b', role: 'member', joinedSeq: 3, leftSeq: 0, mutedUntil: 0 });
    // The refused send did not consume b's senderSeq: its stored send took 1, the next numbered one is 2.
    assert.equal(out[4]?.status === 'stored' && out[4].message.senderSeq, 1);
    const [again] = await g.commit([g.member('b', 2)]);
    assert.equal(again?.status, 'stored');
    for (const user of ['owner', 'a', 'b']) {
      const [entry] = await store.changesSince(g.appKey, user, 0, 10);
      assert.deepEqual({ convId: entry?.convId, maxSeq: entry?.maxSeq }, { convId: g.convId, maxSeq: 5 });
    }
  });

  withStore('groups - a removed member gets the removal entry, then no pointer; re-adding starts a new join', async (store) => {
    const g = groupOf(store);
    await g.commit([g.change({ create: { ownerId: 'o', name: '', extra: '', historyVisible: true }, add: [{ userId: 'o', role: 'owner' }, { userId: 'x', role: 'member' }] })]);
    const [removal] = await g.commit([g.change({ remove: ['x'] })]);
    assert.deepEqual(recipientsOf(removal), ['o', 'x']);
    const [after, refused] = await g.commit([g.member('o'), g.member('x')]);
    assert.deepEqual(recipientsOf(after), ['o']);
    assert.deepEqual(refused, { status: 'refused', code: 'send.not_member' });
    assert.deepEqual((await store.changesSince(g.appKey, 'x', 0, 10)).map((c) => c.maxSeq), [2]);
    assert.equal((await store.getGroupMember(g.appKey, g.groupId, 'x'))?.leftSeq, 2);
    assert.deepEqual((await store.listGroupMembers(g.appKey, g.groupId, '', 10)).map((m) => m.userId), ['o']);
    await g.commit([g.change({ add: [{ userId: 'x', role: 'member' }] })]);
    assert.deepEqual(await store.getGroupMember(g.appKey, g.groupId, 'x'), { userId: 'x', role: 'member', joinedSeq: 4, leftSeq: 0, mutedUntil: 0 });
  });

  withStore('groups - muted members, mute-all with exempt list and admins, dismissal', async (store) => {
    const g = groupOf(store);
    const far = 1_800_000_000_000;
    await g.commit([
      g.change({
        create: { ownerId: 'o', name: '', extra: '', historyVisible: false },
        add: ['o', 'adm', 'm1', 'm2', 'm3'].map((userId) => ({ userId, role: userId === 'o' ? 'owner' : userId === 'adm' ? 'admin' : 'member' })),
      }),
      g.change({ mute: [{ userId: 'm1', until: far }] }),
    ]);
    const [m1, m2] = await g.commit([g.member('m1'), g.member('m2')]);
    assert.deepEqual(m1, { status: 'refused', code: 'send.muted' });
    assert.equal(m2?.status, 'stored');
    await g.commit([g.change({ set: { muteAll: true, exempt: ['m3'] } })]);
    const out = await g.commit([g.member('m2'), g.member('m3'), g.member('adm'), g.member('o')]);
    assert.deepEqual(out.map((o) => (o.status === 'refused' ? o.code : o.status)), ['send.muted', 'stored', 'stored', 'stored']);
    assert.deepEqual((await store.getGroup(g.appKey, g.groupId))?.exempt, ['m3']);
    await g.commit([g.change({ set: { dismissed: true } })]);
    assert.deepEqual((await g.commit([g.member('o')]))[0], { status: 'refused', code: 'conv.not_found' });
    assert.equal((await store.getGroup(g.appKey, g.groupId))?.dismissed, true);
    assert.deepEqual((await g.commit([g.member('o')]))[0], { status: 'refused', code: 'conv.not_found' });
  });

  withStore('groups - unknown group refuses member sends; member pages are ordered and bounded', async (store) => {
    const g = groupOf(store);
    assert.deepEqual((await g.commit([g.member('a')]))[0], { status: 'refused', code: 'conv.not_found' });
    assert.equal(await store.getGroup(g.appKey, g.groupId), undefined);
    const users = Array.from({ length: 25 }, (_, i) => `u${String(i).padStart(2, '0')}`);
    await g.commit([g.change({ create: { ownerId: 'u00', name: '', extra: '', historyVisible: false }, add: users.map((userId) => ({ userId, role: 'member' as const })) })]);
    const p1 = await store.listGroupMembers(g.appKey, g.groupId, '', 10);
    const p3 = await store.listGroupMembers(g.appKey, g.groupId, 'u19', 10);
    assert.deepEqual(p1.map((m) => m.userId), users.slice(0, 10));
    assert.deepEqual(p3.map((m) => m.userId), users.slice(20));
  });

  withStore('groups - 2,000 members: one send writes every member pointer in the same commit', async (store) => {
    const g = groupOf(store);
    const users = Array.from({ length: 2000 }, (_, i) => `m${i}`);
    await g.commit([g.change({ create: { ownerId: 'm0', name: '', extra: '', historyVisible: false }, add: users.map((userId) => ({ userId, role: 'member' as const })) })]);
    const [o] = await g.commit([g.member('m7')]);
    assert.equal(recipientsOf(o).length, 2000);
    for (const u of ['m0', 'm999', 'm1999']) assert.deepEqual((await store.changesSince(g.appKey, u, 0, 5)).map((c) => c.maxSeq), [2]);
  });

  withStore('groups - members kept between batches follow changes committed by another store on the same database', async (store, another) => {
    // Each store may keep a group's members between batches; a change committed elsewhere (another node or
    // process) must be seen by the next batch: no push to a removed member, none missed for an added one.
    const other = await another();
    const a = groupOf(store);
    const b = { ...a, commit: (batch: SendInput[]) => other.commitSends(batch) };
    await a.commit([a.change({ create: { ownerId: 'owner', name: 'G', extra: '{}', historyVisible: false }, add: ['owner', 'x', 'y'].map((userId) => ({ userId, role: 'member' as const })) })]);
    assert.deepEqual(recipientsOf((await a.commit([a.member('x')]))[0]), ['owner', 'x', 'y']);
    assert.deepEqual(recipientsOf((await b.commit([b.member('x')]))[0]), ['owner', 'x', 'y']);
    // Elsewhere: y removed, z added.
    await b.commit([b.change({ remove: ['y'], add: [{ userId: 'z', role: 'member' }] })]);
    assert.deepEqual(recipientsOf((await a.commit([a.member('x')]))[0]), ['owner', 'x', 'z']);
    assert.deepEqual(await a.commit([a.member('y')]), [{ status: 'refused', code: 'send.not_member' }]);
    // Here: w added, z muted; the other store sees both.
    await a.commit([a.change({ add: [{ userId: 'w', role: 'member' }], mute: [{ userId: 'z', until: 4_000_000_000_000 }] })]);
    assert.deepEqual(recipientsOf((await b.commit([b.member('w')]))[0]), ['owner', 'w', 'x', 'z']);
    assert.deepEqual(await b.commit([b.member('z')]), [{ status: 'refused', code: 'send.muted' }]);
    // A batch that stores nothing to the group keeps what it found current.
    assert.deepEqual(await a.commit([a.member('y')]), [{ status: 'refused', code: 'send.not_member' }]);
    assert.deepEqual(recipientsOf((await a.commit([a.member('x')]))[0]), ['owner', 'w', 'x', 'z']);
    await b.commit([b.change({ remove: ['x'] })]);
    assert.deepEqual(await a.commit([a.member('x')]), [{ status: 'refused', code: 'send.not_member' }]);
  });
}
