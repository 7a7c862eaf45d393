import { encodeFrame, type MessageInit } from '@tidings/protocol';
import type { StoredMessage } from '../storage/port.ts';

/** The wire shape of a stored message (64-bit fields as bigint). */
export function toWireMessage(m: StoredMessage & { readonly coversTo?: number }): MessageInit {
  return {
    convId: m.convId,
    seq: BigInt(m.seq),
    msgId: m.msgId,
    senderId: m.senderId,
    senderDevice: m.senderDevice,
    clientMsgId: m.clientMsgId,
    type: m.type,
    content: m.content,
    ts: BigInt(m.ts),
    flags: m.flags,
    ...(m.coversTo ? { coversTo: BigInt(m.coversTo) } : {}),
  };
}

/** The push frame of a stored message, encoded once for every recipient. */
export function pushFrame(m: StoredMessage): Uint8Array {
  return encodeFrame({ rid: 0, body: { case: 'push', value: { message: toWireMessage(m) } } });
}

/** The ack answering send request `rid`. */
export function ackFrame(rid: number, m: StoredMessage, duplicate: boolean): Uint8Array {
  return encodeFrame({
    rid,
    body: {
      case: 'sendAck',
      value: {
        convId: m.convId,
        clientMsgId: m.clientMsgId,
        senderSeq: BigInt(m.senderSeq),
        msgId: m.msgId,
        seq: BigInt(m.seq),
        ts: BigInt(m.ts),
        duplicate,
      },
    },
  });
}
