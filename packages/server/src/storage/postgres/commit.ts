import type { PoolClient } from 'pg';
import type { ContentCipher } from '../content-cipher.ts';
import { MESSAGE_FLAG_RECALLED, type SendInput, type SendOutcome, type StoredMessage } from '../port.ts';
import { classifySend, effectiveSenderSeq } from '../rules.ts';
import { COMMIT_SQL, type Statement } from './sql.ts';
import { byteaArray, int4Array, int8Array, textArray } from './binary-arrays.ts';
import { applyGroupChange, checkGroupSend, groupIdOf, type GroupState } from '../group-state.ts';
import { loadGroupStates, writeGroupStates } from './groups.ts';
import type { GroupMembersCache } from '../group-members-cache.ts';

/**
 * The hot path: one group-commit batch in three statements (reserve, read,
 * write), run by the caller inside one transaction (READ COMMITTED).
 *
 * Concurrency between nodes. Everything a send reads or writes (seq,
 * sender cursor, dedupe record) belongs to its conversation, so the batch
 * first row-locks every conversation it touches, reserving one seq per send
 * in the same upsert; the state it then reads is current and stays so until
 * COMMIT. Seqs reserved by sends that are not stored are handed back before
 * COMMIT, so no other transaction ever sees them. Per-user versions are
 * locked later, in the write statement. Both lock sets are taken in one
 * global order (by app key, then id, as UTF-16 code units) and conversations
 * always before users, so two batches cannot wait on each other in a cycle.
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

/**
 * Thrown by {@link commitBatch} when a send whose clientMsgId it did not look
 * up (see `exact`) was refused: had it been a repeat, the rules answer a
 * duplicate first. The caller rolls back and runs the batch again exact.
 */
export class ExactRetry extends Error {
  constructor() {
    super('a send not looked up by clientMsgId was refused; the batch must run again exact');
  }
}

/**
 * Whether `err` says a batch that was not exact stored a repeat: the insert
 * broke the unique key on (app, conversation, sender, clientMsgId) of a
 * messages partition. Only such a send can (its conversation is locked, so no
 * other transaction inserts there meanwhile); the batch must run again exact.
 */
export function isSkippedRepeat(err: unknown): boolean {
  const e = err as { code?: string; table?: string; constraint?: string };
  return e.code === '23505' && e.table?.startsWith('messages_p') === true && e.constraint?.endsWith('_client_msg_id_key') === true;
}

/**
 * Classifies and writes `batch`; throws (leaving the rollback to the caller) on any failure.
 *
 * Unless `exact`, a send whose senderSeq is its cursor's next is taken as new
 * without looking its clientMsgId up (`COMMIT_SQL.readState`). If it was a
 * repeat, the batch fails ({@link isSkippedRepeat}, or {@link ExactRetry}
 * when it was refused instead), and the caller runs it again with `exact`:
 * the outcomes are those of looking every send up, at a lookup less per send
 * in the common case.
 */
export async function commitBatch(
  client: PoolClient,
  batch: readonly SendInput[],
  cipher?: ContentCipher,
  groupCache?: GroupMembersCache,
  exact = false,
): Promise<SendOutcome[]> {
  // 1. Lock the conversations, sorted, reserving one seq per send.
  const convs = new Map<string, { key: string; input: SendInput; n: number; group: boolean }>();
  for (const input of batch) {
    const key = input.appKey + SEP + input.convId;
    const conv = convs.get(key);
    const group = input.group !== undefined && input.kind === 'group';
    if (conv === undefined) convs.set(key, { key, input, n: 1, group });
    else {
      conv.n += 1;
      conv.group ||= group;
    }
  }
  const sorted = [...convs.values()].sort(byKey);
  const locked = await run(client, COMMIT_SQL.reserve, [
    textArray(sorted.map((c) => c.input.appKey)),
    textArray(sorted.map((c) => c.input.convId)),
    textArray(sorted.map((c) => c.input.kind)),
    int8Array(sorted.map((c) => c.n)),
  ]);
  const reserved = new Map<string, number>();
  for (const row of locked.rows) reserved.set(row.app_key + SEP + row.conv_id, row.max_seq);
  const maxSeqs = new Map<string, number>();
  for (const c of sorted) maxSeqs.set(c.key, (reserved.get(c.key) ?? c.n) - c.n);
  const before = new Map(maxSeqs);
  // Groups: state read under the conversation locks, so membership is current for the whole batch. Cached
  // members are used only when current at the locked max seq (group-members-cache.ts); each entry is taken out
  // here and put back below only with the version this batch leaves.
  const groupStates = new Map<string, GroupState>();
  const groupVersions = new Map<string, string | undefined>();
  const loadedGroups = await loadGroupStates(
    client,
    sorted
      .filter((c) => c.group)
      .map((c) => {
        const groupId = groupIdOf(c.input.convId);
        return { appKey: c.input.appKey, groupId, seq: before.get(c.key) ?? 0, cached: groupCache?.take(c.input.appKey, groupId) };
      }),
  );
  for (const { state, msgId } of loadedGroups) {
    const key = state.appKey + SEP + 'g:' + state.groupId;
    groupStates.set(key, state);
    groupVersions.set(key, msgId);
  }
  const lastMsgIds = new Map<string, string>();

  // 2. Read each input's sender cursor and original message.
  const state = await run(client, COMMIT_SQL.readState, [
    textArray(batch.map((i) => i.appKey)),
    textArray(batch.map((i) => i.convId)),
    textArray(batch.map((i) => i.senderId)),
    textArray(batch.map((i) => i.senderDevice)),
    textArray(batch.map((i) => i.clientMsgId)),
    int8Array(batch.map((i) => i.senderSeq)),
    exact,
  ]);
  const rows: Array<Record<string, unknown> | undefined> = new Array(batch.length);
  for (const row of state.rows) rows[Number(row.i) - 1] = row;

  // 3. Classify in batch order; later inputs see earlier ones through the maps.
  const cursors = new Map<string, Cursor>();
  const stored = new Map<string, StoredMessage>();
  const bumps = new Map<string, UserBump>();
  const changes = new Map<string, Change>();
  const messages: StoredMessage[] = [];
  /** Stored messages whose send asked for a message callback (outbox entry in the same transaction). */
  const hooked = new Set<StoredMessage>();
  const outcomes: SendOutcome[] = [];
  /** Row values to insert where a recall of the same batch changed them. */
  const erased = new Map<StoredMessage, { flags: number; content: Uint8Array }>();
  /** Recalls of earlier batches' messages, by conversation. */
  const recalls = new Map<string, { appKey: string; convId: string; seqs: number[] }>();
  const recall = (seq: number, convKey: string, appKey: string, convId: string): void => {
    // A target from this batch is erased before its insert; older ones by the recall statement.
    if (seq <= (before.get(convKey) ?? 0)) {
      const r = recalls.get(convKey);
      if (r) r.seqs.push(seq);
      else recalls.set(convKey, { appKey, convId, seqs: [seq] });
      return;
    }
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
        // Not looked up (see readState): a repeat would be a duplicate, not a refusal.
        if (!exact && input.senderSeq !== 0 && input.senderSeq === ((row?.last_sender_seq as number | null) ?? 0) + 1) throw new ExactRetry();
        outcomes.push({ status: 'refused', code: refused });
        continue;
      }
    }
    const seq = (maxSeqs.get(convKey) ?? 0) + 1;
    maxSeqs.set(convKey, seq);
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
    lastMsgIds.set(convKey, message.msgId);
    if (input.webhook) hooked.add(message);
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
  if (groupCache) {
    for (const [key, state] of groupStates) {
      const last = lastMsgIds.get(key);
      const found = groupVersions.get(key);
      if (last !== undefined) groupCache.put(state.appKey, state.groupId, maxSeqs.get(key)!, last, state.members);
      else if (found !== undefined) groupCache.put(state.appKey, state.groupId, before.get(key) ?? 0, found, state.members);
    }
  }
  // Seqs reserved by sends that were not stored go back (only those conversations' rows are rewritten).
  const fixes = sorted.filter((c) => maxSeqs.get(c.key) !== reserved.get(c.key));
  if (messages.length === 0 && fixes.length === 0) return outcomes;
  await writeGroupStates(client, [...groupStates.values()]);

  // 4. Write everything in one statement.
  const moved = [...cursors.values()].filter((c) => c.changed);
  const users = [...bumps.values()].sort(byKey);
  const position = new Map<UserBump, number>();
  for (const [i, u] of users.entries()) position.set(u, i + 1);
  const entries = [...changes.values()];
  const hooks = messages.filter((m) => hooked.has(m));
  await run(client, COMMIT_SQL.write, [
    textArray(messages.map((m) => m.appKey)),
    textArray(messages.map((m) => m.convId)),
    int8Array(messages.map((m) => m.seq)),
    textArray(messages.map((m) => m.msgId)),
    textArray(messages.map((m) => m.senderId)),
    textArray(messages.map((m) => m.senderDevice)),
    textArray(messages.map((m) => m.clientMsgId)),
    int8Array(messages.map((m) => m.senderSeq)),
    textArray(messages.map((m) => m.type)),
    byteaArray(messages.map((m) => erased.get(m)?.content ?? (cipher ? cipher.seal(m.appKey, m.convId, m.seq, m.content) : m.content))),
    int8Array(messages.map((m) => m.ts)),
    int4Array(messages.map((m) => erased.get(m)?.flags ?? m.flags)),
    textArray(moved.map((c) => c.input.appKey)),
    textArray(moved.map((c) => c.input.convId)),
    textArray(moved.map((c) => c.input.senderId)),
    textArray(moved.map((c) => c.input.senderDevice)),
    int8Array(moved.map((c) => c.last)),
    textArray(fixes.map((c) => c.input.appKey)),
    textArray(fixes.map((c) => c.input.convId)),
    int8Array(fixes.map((c) => maxSeqs.get(c.key)!)),
    textArray(users.map((u) => u.appKey)),
    textArray(users.map((u) => u.userId)),
    int8Array(users.map((u) => u.n)),
    textArray(entries.map((e) => e.bump.appKey)),
    textArray(entries.map((e) => e.bump.userId)),
    textArray(entries.map((e) => e.convId)),
    int8Array(entries.map((e) => e.maxSeq)),
    int8Array(entries.map((e) => e.bump.n - e.nth)),
    textArray(hooks.map((m) => m.appKey)),
    textArray(hooks.map((m) => m.convId)),
    int8Array(hooks.map((m) => m.seq)),
    textArray(hooks.map((m) => m.msgId)),
    int8Array(hooks.map((m) => m.ts)),
    int4Array(entries.map((e) => position.get(e.bump)!)),
  ]);
  for (const r of recalls.values()) await run(client, COMMIT_SQL.recall, [r.appKey, r.convId, int8Array(r.seqs)]);
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
