/**
 * Durable chatroom state: what must survive the room's owner node (its
 * creation, admins, bans, mutes, policy and attributes) and the owner lease
 * that decides which node is the room's sequencer. Messages are not stored.
 *
 * The lease is fenced: every takeover raises the room's `epoch`, and every
 * later write of the previous owner names its old epoch and is refused. The
 * owner also reserves seqs ahead (`seqHw`, the high-water mark): it never
 * hands out a seq above it, and a new owner starts above it, so a seq is
 * never given to two different entries even when the old owner was paused
 * or partitioned rather than dead.
 */

/** The state of a room that outlives its owner node. */
export interface RoomState {
  readonly admins: readonly string[];
  readonly banned: readonly string[];
  /** Muted user -> until (ms). */
  readonly muted: Readonly<Record<string, number>>;
  /** The room's policy as JSON values (window, rate, ...). */
  readonly policy: Readonly<Record<string, number>>;
  /** Room attributes; sealed at rest under the app's data key, bound to app and room. */
  readonly attrs: Readonly<Record<string, string>>;
}

/** A stored room. */
export interface RoomRecord {
  readonly appKey: string;
  readonly roomId: string;
  readonly createdAt: number;
  readonly state: RoomState;
}

/** The lease an owner holds on a room. */
export interface RoomLease {
  readonly owner: string;
  readonly epoch: number;
  /** Highest seq any earlier owner may have handed out: this owner starts above it. */
  readonly seqBase: number;
  /** Highest seq this owner may hand out until it raises the mark with {@link RoomStore.renewRooms}. */
  readonly seqHw: number;
}

/** A stored room with its lease as seen now. */
export interface RoomRow extends RoomRecord {
  readonly owner: string;
  readonly epoch: number;
  /** False once the owner stopped renewing for its ttl: anyone may claim the room. */
  readonly leaseLive: boolean;
}

/** One room an owner renews, with the high-water mark it wants. */
export interface RoomRenewal {
  readonly appKey: string;
  readonly roomId: string;
  readonly epoch: number;
  readonly seqHw: number;
}

/** The room part of the storage port. Lease times use the store's own clock (PostgreSQL's, shared by every node). */
export interface RoomStore {
  /** Creates the room, owned by `owner` (epoch 1, seqs 1..`block` reserved). Undefined when it exists. */
  createRoom(record: RoomRecord, owner: string, ttlMs: number, block: number): Promise<RoomLease | undefined>;
  getRoom(appKey: string, roomId: string): Promise<RoomRow | undefined>;
  /**
   * Takes the room for `owner` when its lease has expired (whoever held it):
   * epoch + 1, seqBase = the old high-water mark, seqHw = seqBase
   * + `block`. Undefined when another owner's lease is live or the room is gone.
   */
  claimRoom(appKey: string, roomId: string, owner: string, ttlMs: number, block: number): Promise<RoomLease | undefined>;
  /**
   * Extends `owner`'s leases and raises their high-water marks (never lowers
   * them), each only while the epoch still matches. Returns the rooms still
   * held; a room missing from the answer was taken over or destroyed.
   */
  renewRooms(owner: string, ttlMs: number, rooms: readonly RoomRenewal[]): Promise<Array<{ appKey: string; roomId: string }>>;
  /** Replaces the room's state if `epoch` is still current; false otherwise. */
  saveRoomState(appKey: string, roomId: string, epoch: number, state: RoomState): Promise<boolean>;
  /** Deletes the room if `epoch` is still current; false otherwise. */
  deleteRoom(appKey: string, roomId: string, epoch: number): Promise<boolean>;
  /** Ends every lease of `owner` at once (graceful stop): the next node to need a room claims it. */
  releaseRooms(owner: string): Promise<void>;
}
