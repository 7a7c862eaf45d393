import type { StoredMessage } from './port.ts';

/** Maps a `messages` row selected with the message columns. */
export function toMessage(row: Record<string, unknown>): StoredMessage {
  return {
    appKey: row.app_key as string,
    convId: row.conv_id as string,
    seq: row.seq as number,
    msgId: row.msg_id as string,
    senderId: row.sender_id as string,
    senderDevice: row.sender_device as string,
    clientMsgId: row.client_msg_id as string,
    senderSeq: row.sender_seq as number,
    type: row.type as string,
    content: row.content as Uint8Array,
    ts: row.ts as number,
    flags: row.flags as number,
  };
}
