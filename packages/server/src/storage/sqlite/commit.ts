import type { SendInput, SendOutcome, StoredMessage } from '../port.ts';
import { classifySend, effectiveSenderSeq } from '../rules.ts';
import { toMessage, type Statements } from './statements.ts';
import type { ContentCipher } from '../content-cipher.ts';
import { applyGroupChange, checkGroupSend, groupIdOf, type GroupState } from '../group-state.ts';
import { loadGroupState, writeGroupState, type GroupStatements } from './groups.ts';

/**
 * The hot path: one group-commit batch of sends. The caller runs this inside
 * BEGIN IMMEDIATE, which holds SQLite's write lock, so the per-batch maps
 * below cannot go stale: no other connection or process can write until
 * COMMIT. Across batches only group members are kept, and used only when the
 * group conversation's newest entry, read under the lock, is the one they
 * were kept at (group-members-cache.ts): another process may write between
 * batches.
 *
 * Per send it costs two index probes (dedupe, sender cursor) and one insert;
 * conversation, cursor, version and change-index rows are read at most once
 * and written once per batch however many sends touch them.
 */

interface Conversation {
  readonly appKey: string;
  readonly convId: string;
  readonly kind: string;
  maxSeq: number;
  /** The msgId of the newest message this batch stored, if any. */
  lastMsgId?: string;
}

/** A group loaded for the batch, and the version (newest seq and its msgId) its members were current at. */
interface LoadedGroup {
  readonly state: GroupState;
  readonly seq: number;
  readonly msgId: string | undefined;
}

interface Cursor {
  readonly input: SendInput;
  last: number;
  changed: boolean;
}

interface UserVersion {
  readonly appKey: string;
  readonly userId: string;
  version: number;
}

interface Change {
  readonly appKey: string;
  readonly userId: string;
  readonly convId: string;
  maxSeq: number;
  version: number;
}

/** Separator for composite map keys: ids never contain NUL. */
const SEP = '\u0000';

/** Classifies and writes `batch`; throws (leaving the rollback to the caller) on any failure. */
export function commitBatch(s: Statements, g: GroupStatements, batch: readonly SendInput[], cipher?: ContentCipher): SendOutcome[] {
  const groups = new Map<string, LoadedGroup>();
  const conversations = new Map<string, Conversation>();
  const cursors = new Map<string, Cursor>();
  const versions = new Map<string, UserVersion>();
  const changes = new Map<string, Change>();
  const outcomes: SendOutcome[] = [];

  for (const input of batch) {
    const { appKey, convId, senderId, senderDevice } = input;
    // Messages are inserted as we go, so this also finds earlier sends of the batch.
    const row = s.findOriginal.get(appKey, convId, senderId, input.clientMsgId);
    const cursorKey = appKey + SEP + convId + SEP + senderId + SEP + senderDevice;
    let cursor = cursors.get(cursorKey);
    if (cursor === undefined) {
      const c = s.getSenderCursor.get(appKey, convId, senderId, senderDevice);
      cursor = { input, last: c === undefined ? 0 : (c.last_sender_seq as number), changed: false };
      cursors.set(cursorKey, cursor);
    }
    const senderSeq = effectiveSenderSeq(input.senderSeq, cursor.last);
    const decision = classifySend(senderSeq, {
      original: row === undefined ? undefined : cipher ? cipher.open(toMessage(row)) : toMessage(row),
      lastSenderSeq: cursor.last,
    });
    if (decision.status !== 'store') {
      outcomes.push(decision);
      continue;
    }
    const convKey = appKey + SEP + convId;
    let group: GroupState | undefined;
    if (input.kind === 'group' && input.group !== undefined) {
      let loaded = groups.get(convKey);
      if (loaded === undefined) {
        // The first send of the batch to this group: nothing of it is written yet, so this is the stored max seq.
        const seq = conversations.get(convKey)?.maxSeq ?? ((s.getMaxSeq.get(appKey, convId)?.max_seq as number | undefined) ?? 0);
        const { state, msgId } = loadGroupState(g, appKey, groupIdOf(convId), seq);
        groups.set(convKey, (loaded = { state, seq, msgId }));
      }
      group = loaded.state;
      const refused = checkGroupSend(group, input.group, senderId, input.ts);
      if (refused) {
        outcomes.push({ status: 'refused', code: refused });
        continue;
      }
    }

    let conv = conversations.get(convKey);
    if (conv === undefined) {
      const c = s.getMaxSeq.get(appKey, convId);
      conv = { appKey, convId, kind: input.kind, maxSeq: c === undefined ? 0 : (c.max_seq as number) };
      conversations.set(convKey, conv);
    }
    const message: StoredMessage = {
      appKey,
      convId,
      seq: conv.maxSeq + 1,
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
    s.insertMessage.run(
      appKey,
      convId,
      message.seq,
      message.msgId,
      senderId,
      senderDevice,
      message.clientMsgId,
      message.senderSeq,
      message.type,
      cipher ? cipher.seal(appKey, convId, message.seq, message.content) : message.content,
      message.ts,
      message.flags,
    );
    if (input.recallsSeq !== undefined) s.markRecalled.run(appKey, convId, input.recallsSeq);
    conv.maxSeq = message.seq;
    conv.lastMsgId = message.msgId;
    cursor.last = senderSeq;
    cursor.changed = true;
    if (group) {
      const recipients = applyGroupChange(group, input.group?.change, message.seq, input.ts);
      for (const userId of recipients) bumpChange(s, versions, changes, appKey, userId, convId, message.seq);
      outcomes.push({ status: 'stored', message, recipients });
      continue;
    }
    for (const userId of input.members) bumpChange(s, versions, changes, appKey, userId, convId, message.seq);
    outcomes.push({ status: 'stored', message });
  }

  for (const [convKey, { state, seq, msgId }] of groups) {
    writeGroupState(g, state);
    // Kept at the version this batch leaves (or found, when it stored nothing to the group); see group-members-cache.ts.
    const conv = conversations.get(convKey);
    if (conv?.lastMsgId !== undefined) g.cache.put(state.appKey, state.groupId, conv.maxSeq, conv.lastMsgId, state.members);
    else if (msgId !== undefined) g.cache.put(state.appKey, state.groupId, seq, msgId, state.members);
  }
  for (const c of conversations.values()) s.upsertConversation.run(c.appKey, c.convId, c.kind, c.maxSeq);
  for (const c of cursors.values()) {
    if (!c.changed) continue;
    const { appKey, convId, senderId, senderDevice } = c.input;
    s.upsertSenderCursor.run(appKey, convId, senderId, senderDevice, c.last);
  }
  for (const v of versions.values()) s.upsertUserVersion.run(v.appKey, v.userId, v.version);
  for (const c of changes.values()) s.upsertUserChange.run(c.appKey, c.userId, c.convId, c.maxSeq, c.version);
  return outcomes;
}

/** Gives a member's entry for the conversation the new max seq and a fresh version. */
function bumpChange(
  s: Statements,
  versions: Map<string, UserVersion>,
  changes: Map<string, Change>,
  appKey: string,
  userId: string,
  convId: string,
  maxSeq: number,
): void {
  const userKey = appKey + SEP + userId;
  let v = versions.get(userKey);
  if (v === undefined) {
    const row = s.getUserVersion.get(appKey, userId);
    v = { appKey, userId, version: row === undefined ? 0 : (row.version as number) };
    versions.set(userKey, v);
  }
  v.version += 1;
  const changeKey = userKey + SEP + convId;
  const change = changes.get(changeKey);
  if (change === undefined) changes.set(changeKey, { appKey, userId, convId, maxSeq, version: v.version });
  else {
    change.maxSeq = maxSeq;
    change.version = v.version;
  }
}
