import type { PoolClient } from 'pg';
import type { ContentCipher } from '../content-cipher.ts';
import { MESSAGE_FLAG_RECALLED, type SendInput, type SendOutcome, type StoredMessage } from '../port.ts';
import { classifySend, effectiveSenderSeq } from '../rules.ts';
import { COMMIT_SQL, type Statement } from './sql.ts';
import { applyGroupChange, checkGroupSend, groupIdOf, type GroupState } from '../group-state.ts';
import { loadGroupStates, writeGroupStates } from './groups.ts';

/**
 * The hot path: one group-commit batch in three statements, run by the
 * caller inside one transaction (READ COMMITTED).
 *
 * Concurrency between nodes. Everything a send reads or writes (seq,
 * sender cursor, dedupe record) belongs to its conversation, so the batch
 * first row-locks every conversation it touches; the state it then reads is
 * current and stays so until COMMIT. Per-user versions are locked later, in
 * the write statement. Both lock sets are taken in one global order (by app
 * key, then id, as UTF-16 code units) and conversations always before users,
 * so two batches cannot wait on each other in a cycle.
 */

/** Separator for composite map keys: ids never contain NUL. */
const SEP = '\u0000';

const byKey = (x: { key: string }, y: { key: string }): number => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0);

interface Cursor {
  readonly input: SendInput;
  last: number;
  changed: boolean;
}

interface UserBump {
  readonly key: string;
  readonly appKey: string;
  readonly userId: string;
  n: number;
}

interface Change {
  readonly bump: UserBump;
  readonly convId: string;
  maxSeq: number;
  /** Which of the user's bumps in this batch this entry's version is. */
  nth: number;
}

const run = (client: PoolClient, s: Statement, values: unknown[]) => client.query({ ...s, values });

/** Classifies and writes `batch`; throws (leaving the rollback to the caller) on any failure. */
export async function commitBatch(client: PoolClient, batch: readonly SendInput[], cipher?: ContentCipher): Promise<SendOutcome[]> {
  // 1. Lock the conversations, sorted.
  const convs = new Map<string, { key: string; input: SendInput }>();
  for (const input of batch) {
    const key = input.appKey + SEP + input.convId;
    if (!convs.has(key)) convs.set(key, { key, input });
  }
  const sorted = [...convs.values()].sort(byKey);
  const locked = await run(client, COMMIT_SQL.lockConversations, [
    sorted.map((c) => c.input.appKey),
    sorted.map((c) => c.input.convId),
    sorted.map((c) => c.input.kind),
  ]);
  const maxSeqs = new Map<string, number>();
  for (const row of locked.rows) maxSeqs.set(row.app_key + SEP + row.conv_id, row.max_seq);
  const before = new Map(maxSeqs);
  // Groups: state read under the conversation locks, so membership is current for the whole batch.
  const groupStates = new Map<string, GroupState>();
  const groupConvs = sorted.filter((c) => batch.some((i) => i.group !== undefined && i.kind === 'group' && i.appKey === c.input.appKey && i.convId === c.input.convId));
  const loadedGroups = await loadGroupStates(
    client,
    groupConvs.map((c) => ({ appKey: c.input.appKey, groupId: groupIdOf(c.input.convId) })),
  );
  for (const gs of loadedGroups) groupStates.set(gs.appKey + SEP + 'g:' + gs.groupId, gs);

  // 2. Read each input's sender cursor and original message.
  const state = await run(client, COMMIT_SQL.readState, [
    batch.map((i) => i.appKey),
    batch.map((i) => i.convId),
    batch.map((i) => i.senderId),
    batch.map((i) => i.senderDevice),
    batch.map((i) => i.clientMsgId),
  ]);
  const rows: Array<Record<string, unknown> | undefined> = new Array(batch.length);
  for (const row of state.rows) rows[Number(row.i) - 1] = row;

  // 3. Classify in batch order; later inputs see earlier ones through the maps.
  const cursors = new Map<string, Cursor>();
  const stored = new Map<string, StoredMessage>();
  const bumps = new Map<string, UserBump>();
  const changes = new Map<string, Change>();
  const changedConvs = new Map<string, { appKey: string; convId: string }>();
  const messages: StoredMessage[] = [];
  const outcomes: SendOutcome[] = [];
  /** Row values to insert where a recall of the same batch changed them. */
  const erased = new Map<StoredMessage, { flags: number; content: Uint8Array }>();
  const recalls: Array<{ appKey: string; convId: string; seq: number }> = [];
  const recall = (seq: number, convKey: string, appKey: string, convId: string): void => {
    // A sibling CTE cannot see rows the same statement inserts, so a target
    // from this batch is erased before insert and only older ones by UPDATE.
    if (seq <= (before.get(convKey) ?? 0)) return void recalls.push({ appKey, convId, seq });
    const target = messages.find((m) => m.appKey === appKey && m.convId === convId && m.seq === seq);
    if (target) erased.set(target, { flags: target.flags | MESSAGE_FLAG_RECALLED, content: new Uint8Array(0) });
  };

  for (const [index, input] of batch.entries()) {
    const { appKey, convId, senderId, senderDevice } = input;
    const row = rows[index];
    const dedupeKey = appKey + SEP + convId + SEP + senderId + SEP + input.clientMsgId;
    const cursorKey = appKey + SEP + convId + SEP + senderId + SEP + senderDevice;
    let cursor = cursors.get(cursorKey);
    if (cursor === undefined) {
      cursor = { input, last: (row?.last_sender_seq as number | null) ?? 0, changed: false };
      cursors.set(cursorKey, cursor);
    }
    const original = stored.get(dedupeKey) ?? (row?.seq == null ? undefined : cipher ? cipher.open(originalOf(input, row)) : originalOf(input, row));
    const senderSeq = effectiveSenderSeq(input.senderSeq, cursor.last);
    const decision = classifySend(senderSeq, { original, lastSenderSeq: cursor.last });
    if (decision.status !== 'store') {
      outcomes.push(decision);
      continue;
    }
    const convKey = appKey + SEP + convId;
    const group = input.kind === 'group' && input.group !== undefined ? groupStates.get(convKey) : undefined;
    if (group) {
      const refused = checkGroupSend(group, input.group, senderId, input.ts);
      if (refused) {
        outcomes.push({ status: 'refused', code: refused });
        continue;
      }
    }
    const seq = (maxSeqs.get(convKey) ?? 0) + 1;
    maxSeqs.set(convKey, seq);
    changedConvs.set(convKey, { appKey, convId });
    const message: StoredMessage = {
      appKey,
      convId,
      seq,
      msgId: input.msgId,
      senderId,
      senderDevice,
      clientMsgId: input.clientMsgId,
      senderSeq,
      type: input.type,
      content: input.content,
      ts: input.ts,
      flags: input.flags,
    };
    messages.push(message);
    stored.set(dedupeKey, message);
    if (input.recallsSeq !== undefined) recall(input.recallsSeq, convKey, appKey, convId);
    cursor.last = senderSeq;
    cursor.changed = true;
    const recipients = group ? applyGroupChange(group, input.group?.change, seq, input.ts) : input.members;
    for (const userId of recipients) {
      const userKey = appKey + SEP + userId;
      let bump = bumps.get(userKey);
      if (bump === undefined) bumps.set(userKey, (bump = { key: userKey, appKey, userId, n: 0 }));
      bump.n += 1;
      const changeKey = userKey + SEP + convId;
      const change = changes.get(changeKey);
      if (change === undefined) changes.set(changeKey, { bump, convId, maxSeq: seq, nth: bump.n });
      else {
        change.maxSeq = seq;
        change.nth = bump.n;
      }
    }
    outcomes.push(group ? { status: 'stored', message, recipients } : { status: 'stored', message });
  }
  if (messages.length === 0) return outcomes;
  await writeGroupStates(client, [...groupStates.values()]);

  // 4. Write everything in one statement.
  const moved = [...cursors.values()].filter((c) => c.changed);
  const convRows = [...changedConvs.values()];
  const users = [...bumps.values()].sort(byKey);
  const entries = [...changes.values()];
  await run(client, COMMIT_SQL.write, [
    messages.map((m) => m.appKey),
    messages.map((m) => m.convId),
    messages.map((m) => m.seq),
    messages.map((m) => m.msgId),
    messages.map((m) => m.senderId),
    messages.map((m) => m.senderDevice),
    messages.map((m) => m.clientMsgId),
    messages.map((m) => m.senderSeq),
    messages.map((m) => m.type),
    messages.map((m) => erased.get(m)?.content ?? (cipher ? cipher.seal(m.appKey, m.convId, m.seq, m.content) : m.content)),
    messages.map((m) => m.ts),
    messages.map((m) => erased.get(m)?.flags ?? m.flags),
    moved.map((c) => c.input.appKey),
    moved.map((c) => c.input.convId),
    moved.map((c) => c.input.senderId),
    moved.map((c) => c.input.senderDevice),
    moved.map((c) => c.last),
    convRows.map((c) => c.appKey),
    convRows.map((c) => c.convId),
    convRows.map((c) => maxSeqs.get(c.appKey + SEP + c.convId)),
    users.map((u) => u.appKey),
    users.map((u) => u.userId),
    users.map((u) => u.n),
    entries.map((e) => e.bump.appKey),
    entries.map((e) => e.bump.userId),
    entries.map((e) => e.convId),
    entries.map((e) => e.maxSeq),
    entries.map((e) => e.bump.n - e.nth),
    recalls.map((r) => r.appKey),
    recalls.map((r) => r.convId),
    recalls.map((r) => r.seq),
  ]);
  return outcomes;
}

/** The stored message a readState row found for `input`'s clientMsgId. */
function originalOf(input: SendInput, row: Record<string, unknown>): StoredMessage {
  return {
    appKey: input.appKey,
    convId: input.convId,
    seq: row.seq as number,
    msgId: row.msg_id as string,
    senderId: input.senderId,
    senderDevice: row.sender_device as string,
    clientMsgId: input.clientMsgId,
    senderSeq: row.sender_seq as number,
    type: row.type as string,
    content: row.content as Uint8Array,
    ts: row.ts as number,
    flags: row.flags as number,
  };
}
