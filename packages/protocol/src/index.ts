/**
 * @tidings/protocol: the wire format shared by the server and the SDKs.
 *
 * @example
 * ```ts
 * import { encodeFrame, decodeFrame } from '@tidings/protocol';
 * const bytes = encodeFrame({ rid: 1, body: { case: 'ping', value: { clientTime: BigInt(Date.now()) } } });
 * const r = decodeFrame(bytes);
 * if (r.ok) console.log(r.frame.body.case); // "ping"
 * ```
 */
export { frame, encodeFrame, decodeFrame } from './codec.ts';
export type { FrameInit, FrameBody, DecodeResult, MessageInit } from './codec.ts';
export { encodePullResultFrame } from './pull-encoder.ts';
export type { MessageFields, PullResultFields } from './pull-encoder.ts';
export { ERRORS, TidingsError, errorSpec, isErrorCode, isResumableClose, codeForClose } from './errors.ts';
export type { ErrorCode, ErrorSpec } from './errors.ts';
export { isValidId, privateConvId, parseConvId } from './ids.ts';
export type { ConversationKind, ParsedConvId } from './ids.ts';
export type { GroupInfo, GroupMemberInfo, GroupRole } from './groups.ts';
export {
  PROTOCOL_VERSION,
  SUBPROTOCOL,
  TOKEN_SUBPROTOCOL_PREFIX,
  DEFAULT_MAX_FRAME_BYTES,
  DEFAULT_MAX_CONTENT_BYTES,
  MAX_ID_LENGTH,
} from './limits.ts';
export {
  SECURE_SUBPROTOCOL,
  RECORD_VERSION,
  RECORD_HEADER_BYTES,
  RECORD_TAG_BYTES,
  SECURE_KEY_BYTES,
  DIRECTION_SECRET_BYTES,
  KEY_LABELS,
  secureTranscript,
  secureSalt,
  keyInfo,
  isKeyLength,
  isAllZero,
  writeRecordHeader,
  readRecordCounter,
  checkRecordHeader,
  packFrames,
  unpackFrames,
  parseServerKey,
} from './secure.ts';
export type { TranscriptParts } from './secure.ts';
export * from './gen/tidings/v1/frame_pb.ts';
export * from './gen/tidings/v1/message_pb.ts';
