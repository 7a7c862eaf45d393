import type { Lane } from './lanes.ts';
import { path, type Transport } from './transport.ts';
import type { RoomChange, RoomInfo, RoomPolicy } from './types.ts';

/**
 * `client.chatrooms`: create, inspect, manage and destroy chatrooms with all
 * rights. Changes of one room run through its lane (`r:<id>`), in call
 * order, together with `messages.sendRoom`.
 */
export function chatroomCalls(t: Transport, lane: Lane) {
  const change = (
    roomId: string,
    method: 'POST' | 'PUT' | 'DELETE',
    route: string,
    body?: unknown,
  ): Promise<RoomChange> =>
    lane(`r:${roomId}`, () => t.request<RoomChange>({ method, path: route, ...(body !== undefined ? { body } : {}) }));
  return {
    /** Sets the app's policy for rooms created from now on; omitted fields keep their value. Answers the whole policy. */
    setPolicy: (policy: Partial<RoomPolicy>): Promise<RoomPolicy> =>
      t.request({ method: 'PUT', path: '/v1/chatrooms/policy', body: policy }),
    /** Creates a room; `admins` may manage it over the SDK. */
    create: (roomId: string, o: { admins?: string[] } = {}): Promise<RoomChange> =>
      change(roomId, 'POST', '/v1/chatrooms', { roomId, ...o }),
    /** Member count, newest seq, attributes and policy. */
    info: (roomId: string): Promise<RoomInfo> => t.request({ method: 'GET', path: path`/v1/chatrooms/${roomId}` }),
    /** Destroys the room: members get `tidings.room.destroyed` and are dropped. */
    destroy: (roomId: string): Promise<RoomChange> => change(roomId, 'DELETE', path`/v1/chatrooms/${roomId}`),
    /** Removes the user's connections from the room. */
    kick: (roomId: string, userId: string): Promise<RoomChange> =>
      change(roomId, 'POST', path`/v1/chatrooms/${roomId}/kick`, { userId }),
    /** Kicks the user and refuses their joins and sends. */
    ban: (roomId: string, userId: string): Promise<RoomChange> =>
      change(roomId, 'POST', path`/v1/chatrooms/${roomId}/ban`, { userId }),
    unban: (roomId: string, userId: string): Promise<RoomChange> =>
      change(roomId, 'POST', path`/v1/chatrooms/${roomId}/unban`, { userId }),
    /** Mutes the user until `until` (ms since the epoch; 0 unmutes). */
    mute: (roomId: string, userId: string, until: number): Promise<RoomChange> =>
      change(roomId, 'POST', path`/v1/chatrooms/${roomId}/mute`, { userId, until }),
    /** Sets attributes (members get `tidings.room.attrs_set`). */
    setAttrs: (roomId: string, attrs: Record<string, string>): Promise<RoomChange> =>
      change(roomId, 'PUT', path`/v1/chatrooms/${roomId}/attrs`, { attrs }),
    /** Deletes attributes (members get `tidings.room.attrs_deleted` when any existed). */
    deleteAttrs: (roomId: string, keys: string[]): Promise<RoomChange> =>
      change(roomId, 'POST', path`/v1/chatrooms/${roomId}/attrs/delete`, { keys }),
  };
}
