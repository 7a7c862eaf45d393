import { parseConvId, type ConversationKind } from '@tidings/protocol';

/** Who may take part in a conversation, or why not. */
export type Membership =
  | { readonly ok: true; readonly kind: ConversationKind; readonly members: readonly string[] }
  | { readonly ok: false; readonly code: 'conv.invalid_id' | 'send.not_member' | 'conv.not_found' };

/**
 * Resolves the members of a conversation for `userId`. Private conversations
 * name their two members in their id. Groups answer with no members: their
 * membership is stored, checked and resolved inside the commit (storage
 * port `SendInput.group`), and read access by `access.ts`. Chatrooms are the
 * room service's (their members are connections).
 */
export function resolveMembership(convId: string, userId: string): Membership {
  const parsed = parseConvId(convId);
  if (!parsed) return { ok: false, code: 'conv.invalid_id' };
  if (parsed.kind === 'private') {
    if (parsed.members[0] !== userId && parsed.members[1] !== userId) return { ok: false, code: 'send.not_member' };
    return { ok: true, kind: 'private', members: parsed.members };
  }
  // s:<user> is the system conversation of one user: only that user reads it.
  if (parsed.kind === 'system') {
    if (parsed.target !== userId) return { ok: false, code: 'send.not_member' };
    return { ok: true, kind: 'system', members: [parsed.target] };
  }
  if (parsed.kind === 'group') return { ok: true, kind: 'group', members: [] };
  return { ok: false, code: 'conv.not_found' };
}
