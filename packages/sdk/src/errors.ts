import type { TidingsError } from '@tidings/protocol';

/** Codes of failures the SDK detects on its own (no server involved). */
export type ClientErrorCode =
  /** The client was closed; the message stays in the outbox for the next start. */
  | 'client.closed'
  /** The persistence store failed; the message was not queued. */
  | 'client.store_failed'
  /** The server sent a frame the client could not decode. */
  | 'client.bad_frame'
  /** Getting a token from the token function failed. */
  | 'client.token_failed'
  /** The connection ended before a group or room operation was answered; it may or may not have run. */
  | 'client.disconnected'
  /**
   * `createClient` got no `serverKey` for a secure session: without a pinned
   * key an active man in the middle could read and change everything. Pass
   * the server's key (see `serverKey`).
   */
  | 'client.server_key_required';

/**
 * A failure detected by the SDK itself. Server-reported failures arrive as
 * {@link TidingsError}; both carry a stable `code`.
 */
export class ClientError extends Error {
  readonly code: ClientErrorCode;
  constructor(code: ClientErrorCode, message?: string, options?: { cause?: unknown }) {
    super(message ?? code, options);
    this.name = 'ClientError';
    this.code = code;
  }
}

/** Any error the client reports: from the server, or its own. */
export type SdkError = TidingsError | ClientError;
