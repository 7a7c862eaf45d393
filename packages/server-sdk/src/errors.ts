import { errorSpec, type ErrorCode } from '@tidings/protocol';

/** A server API call failed with a stable error code (docs/protocol.md). */
export class ServerApiError extends Error {
  /** The error code, e.g. `api.nonce_replayed`; `client.network` when no answer came. */
  readonly code: ErrorCode | 'client.network' | 'client.bad_response';
  /** HTTP status; 0 when no answer came. */
  readonly status: number;
  readonly retryable: boolean;
  constructor(code: ServerApiError['code'], status: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ServerApiError';
    this.code = code;
    this.status = status;
    this.retryable = code === 'client.network' || (code !== 'client.bad_response' && errorSpec(code).retryable);
  }
}
