/**
 * The presence port: is a user online anywhere in the deployment? Routing
 * needs none of this (a push follows bus interest); it answers the server
 * API's online query. Two adapters: local (this node's router) and
 * PostgreSQL (rows per node, kept alive by node heartbeats, expired when a
 * node stops heartbeating).
 */

/** The presence port. */
export interface Presence {
  /** The user's first device connected to this node (`true`), or its last one left (`false`). */
  changed(appKey: string, userId: string, online: boolean): void;
  /** True when a live node holds one of the user's devices. */
  isOnline(appKey: string, userId: string): Promise<boolean>;
  /** This node run's id among {@link members}; cluster adapters only. */
  readonly self?: string;
  /** Node runs alive at the last heartbeat (this one included), sorted; cluster adapters only. */
  members?(): readonly string[];
  close(): Promise<void>;
}
