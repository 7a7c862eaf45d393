import type { StoredMessage } from '../storage/port.ts';

/** Type of a marker: an entry standing for seqs a device will not get (`coversTo` in the wire message). */
export const MARKER_TYPE = 'tidings.skipped';

/** Why seqs were skipped. */
export type MarkerReason = 'history' | 'window' | 'overload';

/** A marker standing for seqs `fromSeq..toSeq`, as a message with seq `fromSeq`; content `{reason, count}`. */
export function markerMessage(convId: string, fromSeq: number, toSeq: number, reason: MarkerReason, ts: number): StoredMessage & { coversTo: number } {
  return {
    appKey: '',
    convId,
    seq: fromSeq,
    msgId: `skip:${convId}:${fromSeq}-${toSeq}`,
    senderId: '',
    senderDevice: '',
    clientMsgId: '',
    senderSeq: 0,
    type: MARKER_TYPE,
    content: new TextEncoder().encode(JSON.stringify({ reason, count: toSeq - fromSeq + 1 })),
    ts,
    flags: 0,
    coversTo: toSeq,
  };
}
