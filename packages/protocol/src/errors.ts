/**
 * Every failure Tidings reports carries one of these stable string codes.
 * This table is the only place a code is defined; HTTP status and WebSocket
 * close codes are derived from it.
 */

/** Static facts about one error code. */
export interface ErrorSpec {
  /** HTTP status for the REST API. */
  readonly http: number;
  /** WebSocket close code when the error ends a connection (4000-4999). */
  readonly close: number;
  /** True when the client may retry the same request unchanged (or reconnect). */
  readonly retryable: boolean;
  readonly description: string;
}

const spec = (http: number, close: number, retryable: boolean, description: string): ErrorSpec => ({
  http,
  close,
  retryable,
  description,
});

/** All error codes, by code. */
export const ERRORS = {
  // protocol
  'protocol.malformed_frame': spec(400, 4400, false, 'The frame could not be decoded.'),
  'protocol.frame_too_large': spec(413, 4413, false, 'The frame exceeds the size limit.'),
  'protocol.unsupported_version': spec(400, 4426, false, 'The protocol version is not supported.'),
  'protocol.unexpected_frame': spec(400, 4400, false, 'This frame type is not valid from a client.'),
  'protocol.invalid_request': spec(400, 4400, false, 'A required field is missing or invalid.'),
  // auth
  'auth.token_missing': spec(401, 4401, false, 'No token was presented.'),
  'auth.token_invalid': spec(401, 4401, false, 'The token is malformed or its signature is wrong.'),
  'auth.token_expired': spec(401, 4402, false, 'The token has expired; get a new one.'),
  'auth.app_unknown': spec(401, 4403, false, 'The app does not exist.'),
  'auth.app_disabled': spec(403, 4403, false, 'The app is disabled.'),
  'auth.forbidden': spec(403, 4403, false, 'Not allowed.'),
  'auth.token_revoked': spec(401, 4404, false, "The token was revoked (all of the user's tokens issued before a revocation)."),
  'auth.user_blocked': spec(403, 4405, false, 'The user is blocked by the app.'),
  'auth.user_deleted': spec(401, 4406, false, "The user was deleted; every token of theirs is refused and their connections are closed."),
  // server API request signing
  'api.signature_invalid': spec(401, 0, false, 'The request signature is missing, malformed or wrong.'),
  'api.timestamp_stale': spec(401, 0, false, 'The request timestamp is outside the allowed window; check the clock.'),
  'api.nonce_replayed': spec(401, 0, false, 'The nonce was already used within the time window.'),
  'api.operator_unauthorized': spec(401, 0, false, 'The operator credential is missing or wrong.'),
  'api.not_found': spec(404, 0, false, 'No such route.'),
  'user.not_found': spec(404, 0, false, 'The user does not exist.'),
  'user.deleted': spec(410, 0, false, 'The user was deleted: nothing can be sent to them or on their behalf, and they get no new tokens.'),
  'msg.not_found': spec(404, 0, false, 'No message with this seq in the conversation.'),
  'msg.not_recallable': spec(409, 0, false, 'This message cannot be recalled (it is itself a recall, or already recalled).'),
  // messaging
  'send.sender_seq_gap': spec(409, 0, false, 'A sender seq was skipped; resend from the expected one.'),
  'send.sender_seq_conflict': spec(409, 0, false, 'The sender seq was already used by another message.'),
  'send.not_member': spec(403, 0, false, 'The sender is not a member of the conversation.'),
  'send.content_too_large': spec(413, 0, false, 'The message content exceeds the size limit.'),
  'send.rejected_by_app': spec(403, 0, false, "The app's pre-send hook rejected the message."),
  'send.hook_unavailable': spec(503, 0, true, "The app's pre-send hook failed or timed out and the app refuses sends then; retry later."),
  'send.muted': spec(403, 0, false, 'The sender is muted in this group or chatroom.'),
  'room.banned': spec(403, 0, false, 'The user is banned from this chatroom.'),
  'conv.exists': spec(409, 0, false, 'A group or chatroom with this id already exists.'),
  'conv.invalid_id': spec(400, 0, false, 'The conversation id is not valid.'),
  'conv.not_found': spec(404, 0, false, 'The conversation does not exist.'),
  // secure session (docs/protocol.md, "Secure session")
  'security.required': spec(426, 4430, false, 'The server requires a secure session; connect with the tidings.v1.secure subprotocol.'),
  'security.handshake_failed': spec(400, 4431, false, 'The secure-session handshake failed, timed out, or the server key did not verify.'),
  'security.bad_tag': spec(400, 4432, true, 'A sealed record failed authentication (tampered or corrupted); reconnect for a new session.'),
  'security.replay': spec(400, 4433, true, 'A sealed record repeated a counter already seen (replay); reconnect for a new session.'),
  'security.out_of_order': spec(400, 4434, true, 'A sealed record skipped a counter (lost or reordered); reconnect for a new session.'),
  'security.wrong_session': spec(400, 4435, true, 'A sealed record belongs to another session; reconnect for a new session.'),
  'security.server_key_mismatch': spec(400, 4436, false, "The server presented a key other than the pinned one (a man in the middle, or a wrong serverKey in the app's configuration); the SDK does not retry."),
  // server state
  'server.overloaded': spec(503, 4503, true, 'The server is overloaded; retry later.'),
  // abuse limits
  'rate.limited': spec(429, 0, true, 'Too many requests from this connection, user or app; slow down and retry.'),
  'rate.connects': spec(429, 4429, true, 'Too many connection attempts from this address; retry later.'),
  'limit.connections_per_user': spec(429, 4428, true, 'The user has too many open connections.'),
  'api.rate_limited': spec(429, 0, true, 'Too many server API calls for this app; retry later.'),
  'server.shutting_down': spec(503, 4001, true, 'The server is shutting down; reconnect.'),
  'server.internal': spec(500, 4500, true, 'Internal error.'),
  'storage.unavailable': spec(503, 0, true, 'Storage is unavailable; the request was not stored.'),
  // connection
  'conn.slow_consumer': spec(503, 4008, true, 'The client did not read fast enough; reconnect and sync.'),
  'conn.heartbeat_timeout': spec(408, 4009, true, 'No heartbeat within the timeout.'),
  'conn.replaced': spec(409, 4010, false, 'Another connection of the same device replaced this one.'),
  'conn.request_timeout': spec(408, 4011, true, 'A request went unanswered for the request timeout; the client reconnects and resends.'),
} as const satisfies Record<string, ErrorSpec>;

/** A stable error code, such as `auth.token_expired`. */
export type ErrorCode = keyof typeof ERRORS;

/** True when `code` is a known error code. */
export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERRORS, code);
}

/** Facts about a code; unknown codes are treated as internal errors. */
export function errorSpec(code: string): ErrorSpec {
  return isErrorCode(code) ? ERRORS[code] : ERRORS['server.internal'];
}

/** Close codes at or above this are resumable: the client reconnects and syncs. */
export function isResumableClose(closeCode: number): boolean {
  if (closeCode === 1000 || closeCode === 1001 || closeCode === 1006 || closeCode === 1011 || closeCode === 1012) return true;
  for (const s of Object.values(ERRORS) as ErrorSpec[]) if (s.close === closeCode) return s.retryable;
  return closeCode < 4000;
}

/** The error code a WebSocket close code stands for, if it stands for exactly one. */
export function codeForClose(closeCode: number): ErrorCode | undefined {
  const found = (Object.keys(ERRORS) as ErrorCode[]).filter((c) => ERRORS[c].close === closeCode);
  return found.length === 1 ? found[0] : undefined;
}

/**
 * An error with a stable code. Thrown only for unexpected failures; expected
 * outcomes are returned as values.
 */
export class TidingsError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  constructor(code: ErrorCode, message?: string, options?: { cause?: unknown }) {
    super(message ?? ERRORS[code].description, options);
    this.name = 'TidingsError';
    this.code = code;
    this.retryable = ERRORS[code].retryable;
  }
}
