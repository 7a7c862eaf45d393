import { create, fromBinary, toBinary, type MessageInitShape } from '@bufbuild/protobuf';
import { FrameSchema, type Frame } from './gen/tidings/v1/frame_pb.ts';
import type { MessageSchema } from './gen/tidings/v1/message_pb.ts';
import { DEFAULT_MAX_FRAME_BYTES, PROTOCOL_VERSION } from './limits.ts';
import type { ErrorCode } from './errors.ts';

/** What `frame()` accepts: a plain object shaped like a Frame. */
export type FrameInit = MessageInitShape<typeof FrameSchema>;

/** What builds a Message: a plain object shaped like one. */
export type MessageInit = MessageInitShape<typeof MessageSchema>;

/** The body variants a frame can carry, by case name. */
export type FrameBody = Frame['body'];

/** Result of decoding: a frame, or a typed protocol error. Never throws. */
export type DecodeResult =
  | { readonly ok: true; readonly frame: Frame }
  | { readonly ok: false; readonly code: ErrorCode; readonly message: string };

/** Builds a frame of the current protocol version. */
export function frame(init: FrameInit): Frame {
  return create(FrameSchema, { version: PROTOCOL_VERSION, ...init });
}

/** Encodes a frame (or its init shape) to bytes. */
export function encodeFrame(value: Frame | FrameInit): Uint8Array {
  const f = (value as Frame).$typeName === 'tidings.v1.Frame' ? (value as Frame) : frame(value as FrameInit);
  return toBinary(FrameSchema, f);
}

/**
 * Decodes one frame. Oversized, malformed and truncated input, and frames of
 * an unsupported version, come back as `{ ok: false, code }`.
 */
export function decodeFrame(bytes: Uint8Array, maxBytes: number = DEFAULT_MAX_FRAME_BYTES): DecodeResult {
  if (bytes.byteLength > maxBytes) {
    return { ok: false, code: 'protocol.frame_too_large', message: `frame of ${bytes.byteLength} bytes exceeds ${maxBytes}` };
  }
  let f: Frame;
  try {
    f = fromBinary(FrameSchema, bytes, { readUnknownFields: false });
  } catch (err) {
    return { ok: false, code: 'protocol.malformed_frame', message: err instanceof Error ? err.message : 'undecodable frame' };
  }
  if (f.version !== PROTOCOL_VERSION) {
    return { ok: false, code: 'protocol.unsupported_version', message: `version ${f.version} is not supported` };
  }
  return { ok: true, frame: f };
}
