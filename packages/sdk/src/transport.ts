/**
 * The slice of the WebSocket API the client uses. The global `WebSocket` of
 * browsers and Node 24 fits, and so does the `ws` package.
 */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

/** Opens a WebSocket; injected for tests or other runtimes. */
export type WebSocketFactory = (url: string, protocols: string[]) => WebSocketLike;

/** `readyState` of an open socket. */
export const WS_OPEN = 1;

/** Opens a socket with the global `WebSocket`. */
export const globalWebSocketFactory: WebSocketFactory = (url, protocols) => {
  const Ctor = (globalThis as { WebSocket?: new (url: string, protocols: string[]) => unknown }).WebSocket;
  if (!Ctor) throw new Error('no global WebSocket in this runtime; pass options.webSocket');
  return new Ctor(url, protocols) as WebSocketLike;
};

/** Binary payload of a message event as bytes; undefined for text frames. */
export function toBytes(data: unknown): Uint8Array | undefined {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return undefined;
}
