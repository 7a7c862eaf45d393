/**
 * Topic to NATS subject mapping. Topics are opaque app-built strings that may
 * hold characters NATS gives meaning to ('.', '*', '>', whitespace), so each
 * topic becomes ONE subject token: `t` + base64url(UTF-8 topic). The `t`
 * keeps the token non-empty for the empty topic. Distinct topics map to
 * distinct subjects, and no topic's subject is a prefix or wildcard of another's.
 */

const SAFE_PREFIX = /^[A-Za-z0-9_-]{1,64}$/;

/** The subject root of a bus prefix: `tidings.<prefix>.`. */
export function subjectRoot(prefix: string): string {
  if (!SAFE_PREFIX.test(prefix)) {
    throw new RangeError(`NATS bus prefix must match ${String(SAFE_PREFIX)}, got ${JSON.stringify(prefix)}`);
  }
  return `tidings.${prefix}.`;
}

/** The subject carrying `topic` under `root`. */
export function topicSubject(root: string, topic: string): string {
  return `${root}t${Buffer.from(topic, 'utf8').toString('base64url')}`;
}
