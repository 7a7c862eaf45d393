/** Who is on the other end of a connection, established at authentication. */
export interface Session {
  readonly appKey: string;
  readonly userId: string;
  readonly deviceId: string;
  readonly connectionId: string;
}

/** What services need of a connection: who it is and a way to answer. */
export interface Peer {
  readonly session: Session;
  /** Writes one encoded frame; never throws. */
  write(bytes: Uint8Array): void;
}
