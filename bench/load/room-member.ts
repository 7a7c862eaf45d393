// One member socket of the chatroom and group benchmarks over raw-ws.ts,
// for every target: Tidings (welcome, then a room join; a group is joined by
// membership), the plain `ws` room baseline (the upgrade is the join) and
// Socket.IO (the engine.io v4 / socket.io v5 wire: `40` connect, `2`/`3`
// heartbeat; an event with a binary attachment is a text frame, then a
// binary frame). Deliveries are handed over as the offset of their content
// in the read buffer, located without decoding anything else.
import { encodeFrame } from '@tidings/protocol';
import { clientFrame, OP, openRawWs, type RawWs } from './raw-ws.ts';
import { BODY, findField, type Scan } from './wire.ts';

/** The targets a member can join. */
export type RoomTarget = 'tidings-room' | 'tidings-group' | 'ws' | 'socketio';

/** What opening one member needs. */
export interface MemberSpec {
  readonly target: RoomTarget;
  /** The target's base URL (Tidings: the gateway URL; others: the server root). */
  readonly url: string;
  readonly conv: string;
  readonly device: string;
  readonly localAddress: string;
  /** Tidings: the user's token. */
  readonly token?: string;
  /** A delivery whose content starts at `buf[p]` (valid only during the call). */
  readonly onDelivery: (buf: Buffer, p: number) => void;
  /** The socket closed after joining. */
  readonly onClose: () => void;
}

const text = (s: string): Buffer => clientFrame(Buffer.from(s), OP.text);
const IO_CONNECT = text('40');
const IO_PONG = text('3');
const JOIN = new Map<string, Buffer>();
const CONV_RESULT = 24;

/** The frame that joins room `conv`, encoded once per room. */
function joinFrame(conv: string): Buffer {
  let f = JOIN.get(conv);
  if (!f)
    JOIN.set(
      conv,
      (f = clientFrame(
        encodeFrame({ rid: 1, body: { case: 'conv', value: { convId: conv, op: 'join', args: '', afterSeq: 0n } } }),
      )),
    );
  return f;
}

/** Opens one member; resolves once it is in the room (or group) and receiving. */
export async function openMember(m: MemberSpec): Promise<RawWs> {
  const scan: Scan = { rid: 0, body: 0, start: 0, end: 0 };
  const tidings = m.target.startsWith('tidings');
  let ready: () => void = () => {};
  let failed: (e: Error) => void = () => {};
  const joined = new Promise<void>((resolve, reject) => {
    ready = resolve;
    failed = reject;
  });
  // tidings: 0 welcome, 1 joining, 2 in; socketio: 0 open, 1 connecting, 2 in; ws: in once upgraded.
  let state = m.target === 'ws' ? 2 : 0;
  const onFrame = (op: number, buf: Buffer, start: number, end: number, ws: RawWs): void => {
    if (state === 2) {
      if (op !== OP.binary) {
        if (m.target === 'socketio' && end - start === 1 && buf[start] === 0x32) ws.write(IO_PONG);
        return;
      }
      if (m.target === 'socketio') return m.onDelivery(buf, start);
      // A push (Tidings, and the ws baseline's same frame): Frame.push(13).message(1).content(8).
      if (
        findField(buf, start, end, BODY.push, scan) &&
        findField(buf, scan.start, scan.end, 1, scan) &&
        findField(buf, scan.start, scan.end, 8, scan)
      )
        m.onDelivery(buf, scan.start);
      return;
    }
    if (m.target === 'socketio') {
      const s = buf.toString('latin1', start, end);
      if (state === 0 && s.startsWith('0')) {
        state = 1;
        ws.write(IO_CONNECT);
      } else if (state === 1 && s.startsWith('40')) {
        state = 2;
        ready();
      } else if (s === '2') ws.write(IO_PONG);
      else if (s.startsWith('44')) failed(new Error(`socket.io connect refused: ${s}`));
      return;
    }
    if (state === 0 && findField(buf, start, end, BODY.welcome, scan)) {
      // A group is joined by membership; a room is joined, by its publisher too (a non-member cannot send).
      if (m.target === 'tidings-group') return ((state = 2), ready());
      state = 1;
      ws.write(joinFrame(m.conv));
    } else if (state === 1) {
      if (findField(buf, start, end, CONV_RESULT, scan)) return ((state = 2), ready());
      failed(new Error('join failed'));
    }
  };
  const url =
    m.target === 'socketio'
      ? `${m.url}/socket.io/?EIO=4&transport=websocket`
      : tidings
        ? `${m.url}?device=${m.device}`
        : m.url;
  const protocols = tidings ? ['tidings.v1', 'tidings.token.' + (m.token ?? '')] : [];
  const ws = await openRawWs({ url, localAddress: m.localAddress, protocols, onFrame, onClose: m.onClose });
  if (m.target === 'ws') ready();
  await joined;
  return ws;
}

/**
 * Milliseconds on one clock for every thread of the generator (the
 * publisher runs in a worker, whose `performance.now()` has its own origin).
 */
export const clock = (): number => performance.timeOrigin + performance.now();
