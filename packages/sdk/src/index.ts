/**
 * @tidings/sdk: the Tidings client for browsers and Node.js. Messages arrive
 * exactly once and in order per conversation; sends survive disconnects
 * (and restarts, with a persistent store) until the server acks them.
 * Node-only pieces (the file store) live in `@tidings/sdk/node`.
 */
export { createClient } from './create-client.ts';
export { TidingsClient } from './client.ts';
export type { ClientEvents, QueuedMessage } from './client.ts';
export type { ClientOptions, ClientState, SendInput, SendResult, TokenSource } from './options.ts';
export type { Message } from './message.ts';
export { GroupsManager, groupConvId } from './groups.ts';
export { RoomsManager, roomConvId } from './rooms.ts';
export type { RoomJoinInfo, RoomsHost } from './rooms.ts';
export type { CreateGroupOptions, GroupInfo, GroupMemberInfo, GroupRole, ConvCall } from './groups.ts';
export { ClientError } from './errors.ts';
export type { ClientErrorCode, SdkError } from './errors.ts';
export { createMemoryStore } from './memory-store.ts';
export type { MemoryStore } from './memory-store.ts';
export { StoreState, emptySnapshot } from './store.ts';
export type { ClientStore, OutboxEntry, StoreOp, StoreSnapshot } from './store.ts';
export { Backoff } from './backoff.ts';
export type { BackoffOptions } from './backoff.ts';
export { ManualClock, systemClock } from './clock.ts';
export type { Clock, TimerHandle } from './clock.ts';
export { Emitter } from './emitter.ts';
export type { Listener } from './emitter.ts';
export type { WebSocketFactory, WebSocketLike } from './transport.ts';
/** Re-exported from `@tidings/protocol`: ids, errors and close-code helpers. */
export { privateConvId, parseConvId, TidingsError, isResumableClose } from '@tidings/protocol';
export type { ErrorCode } from '@tidings/protocol';
