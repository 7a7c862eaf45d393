import type { ConvCall } from './groups.ts';
import { fromWire, type Message } from './message.ts';
import type { SendInput, SendResult } from './options.ts';

/** The conversation id of a chatroom. */
export function roomConvId(roomId: string): string {
  return `r:${roomId}`;
}

/** What a join answers. */
export interface RoomJoinInfo {
  readonly roomId: string;
  /** Distinct users with a joined connection. */
  readonly memberCount: number;
  readonly attrs: Readonly<Record<string, string>>;
}

/** What the rooms manager needs from its client. */
export interface RoomsHost {
  readonly call: ConvCall;
  /** Like `call`, but on the current connection at once (re-joins must precede the outbox flush). */
  readonly callNow: ConvCall;
  lastSeq(convId: string): number;
  /** Feeds join answers into the stream; `baseline` starts a room the device has nothing of. */
  ingest(convId: string, messages: readonly Message[], maxSeq: number, baseline?: number): void;
  send(convId: string, input: SendInput): Promise<SendResult>;
  /** A re-join after a reconnect failed (banned, destroyed, ...). */
  error?(err: unknown): void;
}

/**
 * Chatrooms of a client (`client.rooms`). A room is joined per connection and
 * stored nowhere: messages arrive through the `message` event while joined.
 * After any reconnect the manager re-joins every room it is in, asking for
 * what came after the last seq it surfaced; the server answers from its
 * recent window, or with a marker (type `tidings.skipped`, `coversTo` set)
 * for what fell out of it. Overload markers look the same. A fresh join
 * starts at the room's recent messages, not at seq 1.
 *
 * @example
 * ```ts
 * await client.rooms.join('lobby');
 * await client.rooms.send('lobby', { type: 'text', content: 'hi', priority: 'low' });
 * ```
 */
export class RoomsManager {
  private readonly host: RoomsHost;
  private readonly joined = new Set<string>();
  /** Rooms this client has been in since it was created: re-joins resume, even from seq 0. */
  private readonly entered = new Set<string>();

  constructor(host: RoomsHost) {
    this.host = host;
  }

  /** Rooms this client is in. */
  get list(): string[] {
    return [...this.joined];
  }

  /** Creates a room; the creator and `admins` may kick, ban, mute, set attributes and destroy it. */
  async create(roomId: string, o: { admins?: readonly string[] } = {}): Promise<void> {
    await this.host.call(roomConvId(roomId), 'create', { ...o });
  }

  /** Joins a room (kept joined across reconnects until {@link leave}). */
  async join(roomId: string): Promise<RoomJoinInfo> {
    this.joined.add(roomId);
    try {
      return await this.enter(roomId, this.host.call);
    } catch (err) {
      this.joined.delete(roomId);
      throw err;
    }
  }

  /** Leaves a room: no more of its messages. */
  async leave(roomId: string): Promise<void> {
    this.joined.delete(roomId);
    await this.host.call(roomConvId(roomId), 'leave');
  }

  /** Sends to a room (the client's outbox, acks and resends, with a priority). */
  send(roomId: string, input: SendInput): Promise<SendResult> {
    return this.host.send(roomConvId(roomId), input);
  }

  /** Member count, newest seq and attributes. */
  async info(roomId: string): Promise<Record<string, unknown>> {
    return JSON.parse((await this.host.call(roomConvId(roomId), 'info')).result) as Record<string, unknown>;
  }

  /** Admins: removes a user's connections from the room. */
  kick(roomId: string, userId: string): Promise<void> {
    return this.op(roomId, 'kick', { userId });
  }
  /** Admins: kicks and keeps the user out until {@link unban}. */
  ban(roomId: string, userId: string): Promise<void> {
    return this.op(roomId, 'ban', { userId });
  }
  unban(roomId: string, userId: string): Promise<void> {
    return this.op(roomId, 'unban', { userId });
  }
  /** Admins: mutes a user until `until` (ms since the epoch; 0 unmutes). */
  mute(roomId: string, userId: string, until: number): Promise<void> {
    return this.op(roomId, 'mute', { userId, until });
  }
  /** Admins: sets attributes; members get a `tidings.room.attrs_set` entry. */
  setAttrs(roomId: string, attrs: Record<string, string>): Promise<void> {
    return this.op(roomId, 'set_attrs', { attrs });
  }
  /** Admins: deletes attributes; members get a `tidings.room.attrs_deleted` entry. */
  deleteAttrs(roomId: string, keys: readonly string[]): Promise<void> {
    return this.op(roomId, 'delete_attrs', { keys });
  }
  /** Admins: destroys the room; members get `tidings.room.destroyed`. */
  async destroy(roomId: string): Promise<void> {
    await this.op(roomId, 'destroy');
    this.joined.delete(roomId);
  }

  /** The client (re)connected: re-join every room, catching up from the last surfaced seq. */
  handleConnected(): void {
    for (const roomId of this.joined) {
      this.enter(roomId, this.host.callNow).catch((err: unknown) => {
        const code = (err as { code?: string }).code;
        if (code === 'room.banned' || code === 'conv.not_found') this.joined.delete(roomId);
        this.host.error?.(err);
      });
    }
  }

  private async op(roomId: string, op: string, args: Record<string, unknown> = {}): Promise<void> {
    await this.host.call(roomConvId(roomId), op, args);
  }

  private async enter(roomId: string, call: ConvCall): Promise<RoomJoinInfo> {
    const conv = roomConvId(roomId);
    const last = this.host.lastSeq(conv);
    // A first join starts at the recent messages; any later one resumes after `last`, even 0.
    const resume = last > 0 || this.entered.has(roomId);
    const r = await call(conv, 'join', resume ? { resume: true } : {}, last);
    this.entered.add(roomId);
    const messages = r.messages.map(fromWire);
    const maxSeq = Number(r.maxSeq);
    const baseline = resume ? undefined : messages[0] ? messages[0].seq - 1 : maxSeq;
    this.host.ingest(conv, messages, maxSeq, baseline);
    return JSON.parse(r.result) as RoomJoinInfo;
  }
}
