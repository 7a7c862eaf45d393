import { encodeFrame, ERRORS, type ErrorCode } from '@tidings/protocol';

/** Details an error frame may carry besides its code. */
export interface ErrorDetails {
  readonly message?: string;
  readonly expectedSenderSeq?: number;
  readonly convId?: string;
  readonly clientMsgId?: string;
}

/** Encodes an error answer to request `rid` (0 for a connection-level error). */
export function errorFrame(rid: number, code: ErrorCode, details: ErrorDetails = {}): Uint8Array {
  return encodeFrame({
    rid,
    body: {
      case: 'error',
      value: {
        code,
        message: details.message ?? ERRORS[code].description,
        retryable: ERRORS[code].retryable,
        expectedSenderSeq: BigInt(details.expectedSenderSeq ?? 0),
        convId: details.convId ?? '',
        clientMsgId: details.clientMsgId ?? '',
      },
    },
  });
}
