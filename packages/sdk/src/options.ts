import type { BackoffOptions } from './backoff.ts';
import type { Clock } from './clock.ts';
import type { ClientStore } from './store.ts';
import type { WebSocketFactory } from './transport.ts';

/** A user token, or a function fetching a fresh one from the app backend. */
export type TokenSource = string | (() => Promise<string>);

/** Options of {@link createClient}. */
export interface ClientOptions {
  /**
   * WebSocket URL of a gateway, e.g. `wss://im.example.com/ws`, or several
   * (the nodes of a cluster): the client stays on the one that works and moves
   * to the next when a connection attempt fails.
   */
  readonly url: string | readonly string[];
  /** User token. A function is called again for a fresh token when the server says the token expired. */
  readonly token: TokenSource;
  /** Device id; by default the store's, or a new random one persisted there. */
  readonly deviceId?: string;
  /** Persistence; default an in-memory store (nothing survives a restart). */
  readonly store?: ClientStore;
  /** Reconnect backoff (full jitter). */
  readonly backoff?: BackoffOptions;
  /** Most sends written and not yet answered (default 256). */
  readonly sendWindow?: number;
  /** Most messages per pull (default 200). */
  readonly pullLimit?: number;
  /** Most conversations per sync page (default 200). */
  readonly syncLimit?: number;
  /** Delay to batch delivery acks, ms (default 100). */
  readonly deliveryAckDelayMs?: number;
  /** Give up on a connection attempt without welcome after this long, ms (default 10 000). */
  readonly connectTimeoutMs?: number;
  /**
   * A send, sync or pull unanswered this long on a live connection ends it
   * (`conn.request_timeout`); the client reconnects and resends, ms (default
   * 30 000: longer than a server waits for its storage).
   */
  readonly requestTimeoutMs?: number;
  /**
   * Anti-entropy: asks the server what changed this often while connected, ms
   * (default 30 000; 0 turns it off). Pushes may be lost between nodes; a
   * lost push at the tail of a conversation is otherwise only noticed on the
   * next message or reconnect.
   */
  readonly syncIntervalMs?: number;
  /** Ping interval when the server names none, ms (default 25 000). */
  readonly pingIntervalMs?: number;
  /**
   * The server's long-term public key (base64 or base64url), or several (the
   * nodes of a cluster with their own keys, or the old and new key while it is
   * rotated). Required for a secure session: the handshake is accepted only
   * when the server proves it holds one of these keys, so a man in the middle
   * (say, a compromised TLS-terminating edge) is refused with
   * `security.server_key_mismatch`. Get it from `tidings start` (printed, and
   * `serverKey` in runtime.json), `tidings server-key`, or the signed server
   * API (`GET /v1/server-key`, `client.serverKey()` of `@tidings/server-sdk`),
   * and ship it in the app's configuration. Without it `createClient` throws a
   * `ClientError` with code `client.server_key_required`.
   */
  readonly serverKey?: string | readonly string[];
  /**
   * DEVELOPMENT ONLY. `true` lets a secure session start without `serverKey`
   * and accept whatever key the server presents: frames are still encrypted,
   * but an active man in the middle can read and change all of them and
   * steal the token. Never set it in a shipped app.
   */
  readonly insecureUnpinnedServerKey?: boolean;
  /**
   * Secure session on (default). `false` speaks plaintext frames with the
   * token in the upgrade; only servers with `secureSession: optional|off` accept it.
   */
  readonly secure?: boolean;
  /** Injected time source (tests). */
  readonly clock?: Clock;
  /** Injected WebSocket constructor (tests, other runtimes). */
  readonly webSocket?: WebSocketFactory;
}

/** Connection state of a client. */
export type ClientState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'closed';

/** What `send()` takes. */
export interface SendInput {
  readonly type: string;
  /** Bytes, or text (sent as UTF-8). */
  readonly content: Uint8Array | string;
  readonly flags?: number;
  /** Chatrooms only: under overload low is shed first, high never (default normal). */
  readonly priority?: 'low' | 'normal' | 'high';
}

/** What `send()` resolves to once the server committed the message. */
export interface SendResult {
  readonly convId: string;
  readonly clientMsgId: string;
  readonly senderSeq: number;
  readonly msgId: string;
  readonly seq: number;
  readonly ts: number;
  /** True when the server had already stored it (a resend). */
  readonly duplicate: boolean;
}
