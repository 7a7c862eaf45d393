/**
 * Checks the delivery promises over complete client histories (after the
 * system has drained): nothing acked is lost, nothing surfaces twice, every
 * device agrees on the order, and one sender's order is kept.
 *
 * Markers (surfaced entries with `coversTo`, chatroom overload and window
 * gaps) are allowed by construction: a marker fills its range in the device's
 * stream, an acked message its device never got is not lost when a marker of
 * that device covers its seq, and markers (which differ per device) take no
 * part in agreement or multi-device comparison.
 */
import { deviceName, type DeviceHistory, type HistoryEvent } from './history.ts';
import { createReportBuilder, type HistoryReport, type ReportBuilder } from './history-report.ts';

/** Options of {@link check}. */
export interface CheckOptions {
  /** Members (user ids) of a conversation at the end of the run. */
  members(convId: string): readonly string[];
  /** Examples kept per anomaly kind; default 5. */
  readonly maxExamples?: number;
}

type Surfaced = Extract<HistoryEvent, { type: 'surfaced' }>;
type Acked = Extract<HistoryEvent, { type: 'acked' }>;

interface DeviceView {
  readonly name: string;
  readonly userId: string;
  /** First `sent` position per conv + clientMsgId. */
  readonly sentAt: Map<string, number>;
  /** First ack per conv + clientMsgId. */
  readonly acks: Map<string, Acked>;
  readonly surfacedByConv: Map<string, Surfaced[]>;
  readonly surfacedIds: Set<string>;
}

const key = (a: string, b: string | number): string => `${a}\u0000${b}`;

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

/** Indexes one device; a retried send acked with a different result is a duplicate. */
function view(h: DeviceHistory, out: ReportBuilder): DeviceView {
  const v: DeviceView = {
    name: deviceName(h),
    userId: h.userId,
    sentAt: new Map(),
    acks: new Map(),
    surfacedByConv: new Map(),
    surfacedIds: new Set(),
  };
  for (const e of h.events) {
    const k = e.type === 'surfaced' ? '' : key(e.convId, e.clientMsgId);
    if (e.type === 'sent') {
      if (!v.sentAt.has(k)) v.sentAt.set(k, e.i);
    } else if (e.type === 'acked') {
      const prev = v.acks.get(k);
      if (!prev) v.acks.set(k, e);
      else if (prev.msgId !== e.msgId || prev.seq !== e.seq) {
        out.add({
          kind: 'duplicate',
          convId: e.convId,
          device: v.name,
          msgId: e.msgId,
          seq: e.seq,
          detail: `send ${e.clientMsgId} acked twice with different results: ${prev.msgId}@${prev.seq} then ${e.msgId}@${e.seq}`,
        });
      }
    } else {
      push(v.surfacedByConv, e.convId, e);
      v.surfacedIds.add(e.msgId);
    }
  }
  return v;
}

/** duplicate and skip, per device and conversation. */
function checkDeviceStreams(v: DeviceView, out: ReportBuilder): void {
  const seenMsg = new Map<string, number>();
  for (const [convId, list] of v.surfacedByConv) {
    const seenSeq = new Map<number, string>();
    const bySenderCmid = new Map<string, string>();
    let last: number | undefined;
    for (const s of list) {
      const at = { convId, device: v.name, msgId: s.msgId, seq: s.seq };
      const earlierSeq = seenMsg.get(s.msgId);
      if (earlierSeq !== undefined) {
        out.add({ kind: 'duplicate', ...at, detail: `message surfaced twice (first at seq ${earlierSeq})` });
        continue;
      }
      seenMsg.set(s.msgId, s.seq);
      const atSeq = seenSeq.get(s.seq);
      if (atSeq !== undefined) {
        out.add({ kind: 'duplicate', ...at, detail: `seq surfaced twice (first as ${atSeq})` });
        continue;
      }
      seenSeq.set(s.seq, s.msgId);
      const ck = key(s.senderId, s.clientMsgId);
      const sameSend = s.coversTo === undefined ? bySenderCmid.get(ck) : undefined;
      if (sameSend !== undefined) {
        out.add({
          kind: 'duplicate',
          ...at,
          detail: `send ${s.clientMsgId} of ${s.senderId} stored twice (also ${sameSend})`,
        });
      } else bySenderCmid.set(ck, s.msgId);
      if (last !== undefined && s.seq !== last + 1) {
        out.add({ kind: 'skip', ...at, detail: `surfaced seq ${s.seq} right after ${last} (expected ${last + 1})` });
      }
      const end = s.coversTo ?? s.seq;
      last = last === undefined ? end : Math.max(last, end);
    }
  }
}

type Claim = { readonly msgId: string; readonly by: string };

/** divergent: every device and every ack must agree on what is at (conv, seq). */
function checkAgreement(views: readonly DeviceView[], out: ReportBuilder): void {
  const claims = new Map<string, Claim>();
  const claim = (convId: string, seq: number, msgId: string, by: string): void => {
    const k = key(convId, seq);
    const prev = claims.get(k);
    if (!prev) claims.set(k, { msgId, by });
    else if (prev.msgId !== msgId) {
      out.add({
        kind: 'divergent',
        convId,
        seq,
        msgId,
        device: by,
        detail: `${by} has ${msgId} but ${prev.by} has ${prev.msgId}`,
      });
    }
  };
  for (const v of views) for (const a of v.acks.values()) claim(a.convId, a.seq, a.msgId, `ack to ${v.name}`);
  for (const v of views) {
    for (const [convId, list] of v.surfacedByConv) for (const s of list) if (s.coversTo === undefined) claim(convId, s.seq, s.msgId, v.name);
  }
}

/** lost: every acked message reached every device of every member, sender's own included. */
function checkDelivery(views: readonly DeviceView[], options: CheckOptions, out: ReportBuilder): void {
  const byUser = new Map<string, DeviceView[]>();
  for (const v of views) push(byUser, v.userId, v);
  for (const sender of views) {
    for (const a of sender.acks.values()) {
      const users = new Set([...options.members(a.convId), sender.userId]);
      for (const u of users) {
        for (const d of byUser.get(u) ?? []) {
          if (d.surfacedIds.has(a.msgId)) continue;
          if ((d.surfacedByConv.get(a.convId) ?? []).some((s) => s.coversTo !== undefined && s.seq <= a.seq && a.seq <= s.coversTo)) continue;
          out.add({
            kind: 'lost',
            convId: a.convId,
            seq: a.seq,
            msgId: a.msgId,
            device: d.name,
            detail: `acked to ${sender.name} (send ${a.clientMsgId}) but never surfaced on ${d.name}`,
          });
        }
      }
    }
  }
}

/** sender-order: per device and conversation, acked sends get seqs in send order. */
function checkSenderOrder(v: DeviceView, out: ReportBuilder): void {
  const byConv = new Map<string, Array<{ a: Acked; sentAt: number }>>();
  for (const [k, a] of v.acks) push(byConv, a.convId, { a, sentAt: v.sentAt.get(k) ?? a.i });
  for (const [convId, list] of byConv) {
    list.sort((x, y) => x.sentAt - y.sentAt);
    for (let i = 1; i < list.length; i++) {
      const prev = list[i - 1]!;
      const cur = list[i]!;
      if (cur.a.seq > prev.a.seq) continue;
      const causal = prev.a.i < cur.sentAt ? `acked before ${cur.a.clientMsgId} was sent` : 'pipelined';
      out.add({
        kind: 'sender-order',
        convId,
        device: v.name,
        msgId: cur.a.msgId,
        seq: cur.a.seq,
        detail: `${prev.a.clientMsgId} (seq ${prev.a.seq}, ${causal}) was sent first but ${cur.a.clientMsgId} got seq ${cur.a.seq}`,
      });
    }
  }
}

/** multi-device: all devices of a user end with the same list per conversation. */
function checkMultiDevice(views: readonly DeviceView[], out: ReportBuilder): void {
  const byUser = new Map<string, DeviceView[]>();
  for (const v of views) push(byUser, v.userId, v);
  for (const devices of byUser.values()) {
    if (devices.length < 2) continue;
    const convs = new Set(devices.flatMap((d) => [...d.surfacedByConv.keys()]));
    const [first, ...rest] = devices as [DeviceView, ...DeviceView[]];
    for (const convId of convs) {
      // Markers differ per device (each device's own gaps): such a conversation is judged per device only.
      if (devices.some((d) => (d.surfacedByConv.get(convId) ?? []).some((s) => s.coversTo !== undefined))) continue;
      const ref = (first.surfacedByConv.get(convId) ?? []).map((s) => s.msgId);
      for (const d of rest) {
        const mine = (d.surfacedByConv.get(convId) ?? []).map((s) => s.msgId);
        let at = 0;
        while (at < ref.length && at < mine.length && ref[at] === mine[at]) at++;
        if (at === ref.length && at === mine.length) continue;
        out.add({
          kind: 'multi-device',
          convId,
          device: d.name,
          detail:
            `${first.name} has ${ref.length} messages, ${d.name} has ${mine.length}; ` +
            `first difference at position ${at}: ${ref[at] ?? '(end)'} vs ${mine[at] ?? '(end)'}`,
        });
      }
    }
  }
}

/**
 * Checks complete histories (call it after the system drained) against the
 * delivery promises and returns a report; `report.ok` is the verdict.
 *
 * @example
 * ```ts
 * const report = check([alicePhone, aliceLaptop, bob], { members: (c) => rooms.get(c)! });
 * assert.ok(report.ok, report.format());
 * ```
 */
export function check(histories: Iterable<DeviceHistory>, options: CheckOptions): HistoryReport {
  const out = createReportBuilder(options.maxExamples ?? 5);
  const all = [...histories];
  const views = all.map((h) => view(h, out));
  for (const v of views) checkDeviceStreams(v, out);
  checkAgreement(views, out);
  checkDelivery(views, options, out);
  for (const v of views) checkSenderOrder(v, out);
  checkMultiDevice(views, out);
  const count = (type: HistoryEvent['type']): number =>
    all.reduce((n, h) => n + h.events.filter((e) => e.type === type).length, 0);
  return out.finish({ devices: all.length, sent: count('sent'), acked: count('acked'), surfaced: count('surfaced') });
}
