/** Protocol version spoken by this package. */
export const PROTOCOL_VERSION = 1;

/** WebSocket subprotocol a client offers; the server echoes it. */
export const SUBPROTOCOL = 'tidings.v1';

/** Prefix of the subprotocol entry that carries the user token. */
export const TOKEN_SUBPROTOCOL_PREFIX = 'tidings.token.';

/** Default hard limit on one frame, in bytes. */
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024;

/** Default limit on one message's content, in bytes. */
export const DEFAULT_MAX_CONTENT_BYTES = 32 * 1024;

/** Longest accepted id (user, device, conversation, client message). */
export const MAX_ID_LENGTH = 128;
