/**
 * Client histories for invariant checks: one Recorder per device logs what
 * it sent, what the server acked and what the app layer was shown, in the
 * order the device saw it. `check()` (history-check.ts) judges the lot.
 */

/** What the app layer was shown for one message. */
export interface SurfacedMessage {
  readonly seq: number | bigint;
  readonly msgId: string;
  readonly clientMsgId: string;
  readonly senderId: string;
  /** Set on a marker: it stands for seqs `seq..coversTo` (chatroom overload or window, group history). */
  readonly coversTo?: number | bigint;
}

/** The server's answer to a send. */
export interface AckInfo {
  readonly msgId: string;
  readonly seq: number | bigint;
}

/** One entry of a device history. `i` is its position in that device's log. */
export type HistoryEvent =
  | {
      readonly type: 'sent';
      readonly i: number;
      readonly at: number;
      readonly convId: string;
      readonly clientMsgId: string;
    }
  | {
      readonly type: 'acked';
      readonly i: number;
      readonly at: number;
      readonly convId: string;
      readonly clientMsgId: string;
      readonly msgId: string;
      readonly seq: number;
    }
  | {
      readonly type: 'surfaced';
      readonly i: number;
      readonly at: number;
      readonly convId: string;
      readonly seq: number;
      readonly msgId: string;
      readonly clientMsgId: string;
      readonly senderId: string;
      /** A marker standing for `seq..coversTo`. */
      readonly coversTo?: number;
    };

/** The full log of one device. */
export interface DeviceHistory {
  readonly userId: string;
  readonly deviceId: string;
  readonly events: readonly HistoryEvent[];
}

/** Records one device's history. Call order is the order that counts. */
export interface Recorder extends DeviceHistory {
  /** The device handed a message to the server (first attempt; retries may call it again). */
  sent(convId: string, clientMsgId: string, atTime?: number): void;
  /** The server acked a send. */
  acked(convId: string, clientMsgId: string, ack: AckInfo, atTime?: number): void;
  /** The app layer was shown a message (in this order). */
  surfaced(convId: string, message: SurfacedMessage, atTime?: number): void;
}

/**
 * Creates a recorder for one device of one user. `clock` stamps events for
 * display only: the checks use the order of calls, which is exact.
 *
 * @example
 * ```ts
 * const rec = createRecorder('alice', 'phone');
 * sdk.on('sent', (m) => rec.sent(m.convId, m.clientMsgId));
 * sdk.on('acked', (a) => rec.acked(a.convId, a.clientMsgId, { msgId: a.msgId, seq: a.seq }));
 * sdk.on('message', (m) => rec.surfaced(m.convId, m));
 * ```
 */
export function createRecorder(userId: string, deviceId: string, clock: () => number = Date.now): Recorder {
  const events: HistoryEvent[] = [];
  return {
    userId,
    deviceId,
    events,
    sent(convId, clientMsgId, atTime) {
      events.push({ type: 'sent', i: events.length, at: atTime ?? clock(), convId, clientMsgId });
    },
    acked(convId, clientMsgId, ack, atTime) {
      events.push({
        type: 'acked',
        i: events.length,
        at: atTime ?? clock(),
        convId,
        clientMsgId,
        msgId: ack.msgId,
        seq: Number(ack.seq),
      });
    },
    surfaced(convId, m, atTime) {
      events.push({
        type: 'surfaced',
        i: events.length,
        at: atTime ?? clock(),
        convId,
        seq: Number(m.seq),
        msgId: m.msgId,
        clientMsgId: m.clientMsgId,
        senderId: m.senderId,
        ...(m.coversTo !== undefined && Number(m.coversTo) > 0 ? { coversTo: Number(m.coversTo) } : {}),
      });
    },
  };
}

/** `user/device`, as anomalies name devices. */
export function deviceName(h: { readonly userId: string; readonly deviceId: string }): string {
  return `${h.userId}/${h.deviceId}`;
}
