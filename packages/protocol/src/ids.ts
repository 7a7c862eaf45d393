import { MAX_ID_LENGTH } from './limits.ts';

/** Kinds of conversation; the first letter of the id names the kind. */
export type ConversationKind = 'private' | 'group' | 'chatroom' | 'system';

const ID = /^[A-Za-z0-9_.@=+-]+$/;

/**
 * True for a valid user, device, group or room id: 1 to 128 characters of
 * letters, digits and `_ . @ = + -`. The colon is reserved as the separator
 * inside conversation ids.
 */
export function isValidId(id: string): boolean {
  return id.length > 0 && id.length <= MAX_ID_LENGTH && ID.test(id);
}

/** The id of the private conversation between two users (order does not matter). */
export function privateConvId(a: string, b: string): string {
  return a < b ? `p:${a}:${b}` : `p:${b}:${a}`;
}

/** A parsed conversation id. */
export type ParsedConvId =
  | { readonly kind: 'private'; readonly members: readonly [string, string] }
  | { readonly kind: 'group' | 'chatroom' | 'system'; readonly target: string };

/** Parses a conversation id; undefined when it is not well formed. */
export function parseConvId(convId: string): ParsedConvId | undefined {
  if (convId.length > 2 * MAX_ID_LENGTH + 3) return undefined;
  const parts = convId.split(':');
  const [kind, x, y] = parts;
  if (kind === 'p' && parts.length === 3 && x !== undefined && y !== undefined) {
    if (!isValidId(x) || !isValidId(y) || !(x < y)) return undefined;
    return { kind: 'private', members: [x, y] };
  }
  if (parts.length !== 2 || x === undefined || !isValidId(x)) return undefined;
  if (kind === 'g') return { kind: 'group', target: x };
  if (kind === 'r') return { kind: 'chatroom', target: x };
  if (kind === 's') return { kind: 'system', target: x };
  return undefined;
}
