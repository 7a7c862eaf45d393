import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PRIORITY, Room, type RoomEntry } from './room.ts';
import { decodeEntry, encodeEntry, ENTRY_KIND } from './room-wire.ts';

const policy = { windowSize: 10, joinRecent: 5, ratePerSecond: 0, burst: 10 };
const entry = (room: Room, seq: number, clientMsgId: string): RoomEntry => ({
  appKey: room.appKey,
  convId: room.convId,
  seq,
  msgId: `m${seq}`,
  senderId: 'ann',
  senderDevice: 'd',
  clientMsgId,
  senderSeq: 0,
  type: 'text',
  content: new Uint8Array([1]),
  ts: 1,
  flags: 0,
});
const send = (room: Room, clientMsgId: string) => room.admit({ senderId: 'ann', clientMsgId }, PRIORITY.normal, 1, (seq) => entry(room, seq, clientMsgId));

test('room - a room taken over above seq N starts with one marker for 1..N; catch-up trims it to what the member misses', () => {
  const room = new Room('a', 'r', policy, [], 1, 500);
  assert.equal(room.maxSeq, 500);
  const first = send(room, 'c1');
  assert.equal(first.kind === 'sent' && first.message.seq, 501);
  const fresh = room.recent(5);
  assert.deepEqual(
    fresh.map((e) => [e.seq, e.coversTo]),
    [
      [1, 500],
      [501, undefined],
    ],
  );
  const caughtUp = room.since(200, 10, 1);
  assert.deepEqual(
    caughtUp.map((e) => [e.seq, e.coversTo]),
    [
      [201, 500],
      [501, undefined],
    ],
  );
  assert.match(new TextDecoder().decode(caughtUp[0]!.content), /"count":300/);
  assert.deepEqual(
    room.since(500, 10, 1).map((e) => e.seq),
    [501],
  );
});

test('room - a seeded ack answers a resend of what an earlier owner published', () => {
  const room = new Room('a', 'r', policy, [], 1, 100);
  room.seedAck({ senderId: 'ann', clientMsgId: 'old', seq: 42, msgId: 'm42', ts: 7 });
  assert.deepEqual(send(room, 'old'), { kind: 'duplicate', seq: 42, msgId: 'm42', ts: 7, shed: false });
  const fresh = send(room, 'new');
  assert.equal(fresh.kind === 'sent' && fresh.message.seq, 101);
  assert.equal(room.assigned, 101);
});

test('room wire - an entry header round-trips and the frame is the published bytes, uncopied', () => {
  const frame = new Uint8Array([9, 8, 7, 6]);
  const p = encodeEntry({ kind: ENTRY_KIND.kicked, epoch: 70_000, seq: 2 ** 40 + 3, ts: 1_700_000_000_123, user: 'bób', clientMsgId: 'c-1', msgId: 'r0abc' }, frame);
  const e = decodeEntry(p)!;
  assert.deepEqual({ ...e, frame: [...e.frame] }, { kind: ENTRY_KIND.kicked, epoch: 70_000, seq: 2 ** 40 + 3, ts: 1_700_000_000_123, user: 'bób', clientMsgId: 'c-1', msgId: 'r0abc', frame: [9, 8, 7, 6] });
  assert.equal(e.frame.buffer, p.buffer);
  assert.equal(decodeEntry(new Uint8Array([1, 0, 0])), undefined);
});
