import type { WebSocket } from 'ws';
import { decodeFrame, encodeFrame, ERRORS, type ErrorCode } from '@tidings/protocol';
import type { VerifyResult } from '../auth/tokens.ts';
import type { SecureChannel } from '../secure/channel.ts';
import { acceptSecureHello } from '../secure/handshake.ts';
import type { ServerKey } from '../secure/server-key.ts';

type Verified = Extract<VerifyResult, { ok: true }>;

/** What a secure handshake needs. */
export interface SecureHandshakeOptions {
  readonly key: ServerKey;
  readonly connectionId: string;
  readonly timeoutMs: number;
  readonly maxFrameBytes: number;
  readonly verify: (token: string) => Promise<VerifyResult>;
  /** A token already verified at the upgrade (the client chose to present it there). */
  readonly early?: Verified;
  /** Authenticated: `backlog` holds frames the client sent after its hello, in order. */
  readonly done: (channel: SecureChannel, verdict: Verified, backlog: Uint8Array[]) => void;
  readonly rejected: (code: ErrorCode) => void;
}

/**
 * Runs the server side of a secure session on a fresh socket: secure_hello
 * in, secure_welcome out, then the first sealed frame must be a hello with
 * the user token (unless one was verified at the upgrade). Nothing but
 * this handshake holds state for the socket until the token verifies, and
 * the whole exchange has a deadline.
 */
export function runSecureHandshake(ws: WebSocket, o: SecureHandshakeOptions): void {
  let channel: SecureChannel | undefined;
  let verifying = false;
  let over = false;
  const backlog: Uint8Array[] = [];

  const fail = (code: ErrorCode): void => {
    if (over) return;
    over = true;
    clearTimeout(timer);
    ws.off('message', onMessage);
    o.rejected(code);
    ws.close(ERRORS[code].close || 4000, code);
    setTimeout(() => ws.terminate(), 2000).unref();
  };
  const timer = setTimeout(() => fail('security.handshake_failed'), o.timeoutMs);
  timer.unref();
  ws.once('close', () => {
    over = true;
    clearTimeout(timer);
  });

  const authenticate = (token: string): void => {
    verifying = true;
    const pending = o.early ? Promise.resolve<VerifyResult>(o.early) : o.verify(token);
    pending
      .catch((): VerifyResult => ({ ok: false, code: 'storage.unavailable' }))
      .then((v) => {
        if (over) return;
        if (!v.ok) return fail(v.code);
        over = true;
        clearTimeout(timer);
        ws.off('message', onMessage);
        o.done(channel!, v, backlog);
      })
      .catch(() => fail('server.internal'));
  };

  function onMessage(data: Buffer, isBinary: boolean): void {
    if (over) return;
    if (!isBinary) return fail('protocol.malformed_frame');
    if (!channel) {
      const r = decodeFrame(data, o.maxFrameBytes);
      if (!r.ok || r.frame.body.case !== 'secureHello') return fail('security.handshake_failed');
      const accepted = acceptSecureHello(o.key, r.frame.body.value, o.connectionId);
      if (!accepted) return fail('security.handshake_failed');
      channel = accepted.channel;
      ws.send(encodeFrame({ rid: 0, body: { case: 'secureWelcome', value: accepted.welcome } }));
      return;
    }
    const opened = channel.open(data);
    if (!opened.ok) return fail(opened.code);
    let frames = opened.frames;
    if (!verifying) {
      const r = decodeFrame(frames[0]!, o.maxFrameBytes);
      if (!r.ok) return fail(r.code);
      if (r.frame.body.case !== 'hello') return fail(o.early ? 'protocol.unexpected_frame' : 'auth.token_missing');
      const token = r.frame.body.value.token;
      if (!token && !o.early) return fail('auth.token_missing');
      frames = frames.slice(1);
      backlog.push(...frames);
      return authenticate(token);
    }
    backlog.push(...frames);
  }
  ws.on('message', onMessage);
}
