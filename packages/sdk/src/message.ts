import type { Message as WireMessage } from '@tidings/protocol';

/**
 * One message of a conversation's seq stream, as the app sees it. Seqs and
 * times are plain numbers (the wire carries 64-bit integers).
 */
export interface Message {
  readonly convId: string;
  /** Per conversation: 1, 2, 3, ... without gaps. */
  readonly seq: number;
  readonly msgId: string;
  readonly senderId: string;
  readonly senderDevice: string;
  readonly clientMsgId: string;
  readonly type: string;
  readonly content: Uint8Array;
  /** Commit time, milliseconds since the epoch. */
  readonly ts: number;
  readonly flags: number;
  /**
   * Set on a marker (type `tidings.skipped`, content `{"reason","count"}`):
   * it stands for seqs `seq..coversTo` this device will not get (chatroom
   * overload, a reconnect older than a room's recent window, or group
   * history from before the user joined).
   */
  readonly coversTo?: number;
}

/** Converts a wire 64-bit integer to a number; seqs stay far below 2^53. */
export function toNumber(v: bigint): number {
  return Number(v);
}

/** Converts a wire message to the app's plain object. */
export function fromWire(m: WireMessage): Message {
  return {
    convId: m.convId,
    seq: toNumber(m.seq),
    msgId: m.msgId,
    senderId: m.senderId,
    senderDevice: m.senderDevice,
    clientMsgId: m.clientMsgId,
    type: m.type,
    content: m.content,
    ts: toNumber(m.ts),
    flags: m.flags,
    ...(m.coversTo > 0n ? { coversTo: toNumber(m.coversTo) } : {}),
  };
}
