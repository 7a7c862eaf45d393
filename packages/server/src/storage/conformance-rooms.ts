import assert from 'node:assert/strict';
import type { RoomRecord } from './room-port.ts';
import { uid, type WithStore } from './conformance-fixtures.ts';

const record = (over: Partial<RoomRecord> = {}): RoomRecord => ({
  appKey: uid('app'),
  roomId: uid('room'),
  createdAt: 1_700_000_000_000,
  state: { admins: ['alice'], banned: [], muted: {}, policy: { windowSize: 100 }, attrs: { topic: 'launch day', 'colour ü': 'blue' } },
  ...over,
});

/** Chatroom cases of the storage conformance suite: state round trip, leases, fencing and the seq high-water mark. */
export function roomCases(withStore: WithStore): void {
  withStore('rooms - create once, read back state and attributes; save and delete are fenced by epoch', async (store) => {
    const rec = record();
    const lease = await store.rooms.createRoom(rec, 'n1', 60_000, 1000);
    assert.deepEqual(lease, { owner: 'n1', epoch: 1, seqBase: 0, seqHw: 1000 });
    assert.equal(await store.rooms.createRoom(rec, 'n2', 60_000, 1000), undefined, 'an existing room is not created again');
    assert.deepEqual(await store.rooms.getRoom(rec.appKey, rec.roomId), { ...rec, owner: 'n1', epoch: 1, leaseLive: true });
    const next = { ...rec.state, banned: ['mallory'], muted: { bob: 1_800_000_000_000 }, attrs: { topic: 'day two' } };
    assert.equal(await store.rooms.saveRoomState(rec.appKey, rec.roomId, 2, next), false, 'a wrong epoch writes nothing');
    assert.equal(await store.rooms.saveRoomState(rec.appKey, rec.roomId, 1, next), true);
    assert.deepEqual((await store.rooms.getRoom(rec.appKey, rec.roomId))?.state, next);
    assert.equal(await store.rooms.getRoom(rec.appKey, uid('room')), undefined);
    assert.equal(await store.rooms.deleteRoom(rec.appKey, rec.roomId, 2), false);
    assert.equal(await store.rooms.deleteRoom(rec.appKey, rec.roomId, 1), true);
    assert.equal(await store.rooms.getRoom(rec.appKey, rec.roomId), undefined);
  });

  withStore('rooms - a live lease cannot be claimed; an expired one can, above every seq the old owner could hand out', async (store) => {
    const rec = record();
    await store.rooms.createRoom(rec, 'n1', 60_000, 1000);
    assert.equal(await store.rooms.claimRoom(rec.appKey, rec.roomId, 'n2', 60_000, 1000), undefined, 'the lease is live');
    assert.deepEqual(await store.rooms.renewRooms('n1', 60_000, [{ appKey: rec.appKey, roomId: rec.roomId, epoch: 1, seqHw: 1500 }]), [
      { appKey: rec.appKey, roomId: rec.roomId },
    ]);
    // A lower mark never lowers the reservation.
    await store.rooms.renewRooms('n1', 60_000, [{ appKey: rec.appKey, roomId: rec.roomId, epoch: 1, seqHw: 10 }]);
    await store.rooms.releaseRooms('n1');
    assert.equal((await store.rooms.getRoom(rec.appKey, rec.roomId))?.leaseLive, false);
    const taken = await store.rooms.claimRoom(rec.appKey, rec.roomId, 'n2', 60_000, 1000);
    assert.deepEqual(taken, { owner: 'n2', epoch: 2, seqBase: 1500, seqHw: 2500 });
    // The old owner is fenced: no renewal, no state write.
    assert.deepEqual(await store.rooms.renewRooms('n1', 60_000, [{ appKey: rec.appKey, roomId: rec.roomId, epoch: 1, seqHw: 3000 }]), []);
    assert.equal(await store.rooms.saveRoomState(rec.appKey, rec.roomId, 1, rec.state), false);
    assert.equal(await store.rooms.claimRoom(rec.appKey, rec.roomId, 'n1', 60_000, 1000), undefined);
    const row = await store.rooms.getRoom(rec.appKey, rec.roomId);
    assert.equal(row?.owner, 'n2');
    assert.equal(row?.epoch, 2);
  });

  withStore('rooms - a lease lapses after its ttl without renewal', async (store) => {
    const rec = record();
    await store.rooms.createRoom(rec, 'n1', 150, 10);
    assert.equal((await store.rooms.getRoom(rec.appKey, rec.roomId))?.leaseLive, true);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await store.rooms.getRoom(rec.appKey, rec.roomId))?.leaseLive, false);
    assert.deepEqual(await store.rooms.claimRoom(rec.appKey, rec.roomId, 'n3', 60_000, 10), { owner: 'n3', epoch: 2, seqBase: 10, seqHw: 20 });
  });
}
