import { generateKeyPairSync } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { decodeFrame, encodeFrame, SECURE_SUBPROTOCOL, type Frame } from '@tidings/protocol';
import { acceptSecureHello, startClientHandshake, type SecureChannel, type ServerKey } from '@tidings/server';

/** A fresh Ed25519 identity that is not the node's: what an impostor presents. */
function impostorKey(): ServerKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const raw = new Uint8Array(Buffer.from(publicKey.export({ format: 'jwk' }).x ?? '', 'base64url'));
  return { privateKey, publicKey: raw, publicKeyText: Buffer.from(raw).toString('base64url'), path: '(memory)', generated: true };
}

/**
 * An active man in the middle of the secure session: it answers the
 * client's handshake with its own key, opens a session of its own to the
 * real node, and relays every frame both ways, reading them all. A client
 * that pins the node's key must refuse it; one that does not is fully read.
 */
export async function startMitm(upstreamWsUrl: string) {
  const key = impostorKey();
  /** Every frame the relay opened, from the client and from the node. */
  const seen: Frame[] = [];
  let upstreamConnections = 0;
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: (p) => (p.has(SECURE_SUBPROTOCOL) ? SECURE_SUBPROTOCOL : false) });
  const read = (frames: readonly Uint8Array[]): void => {
    for (const f of frames) {
      const r = decodeFrame(f, 1 << 24);
      if (r.ok) seen.push(r.frame);
    }
  };
  wss.on('connection', (client, req) => {
    let toClient: SecureChannel | undefined;
    let toServer: SecureChannel | undefined;
    let upstream: WebSocket | undefined;
    const queued: Uint8Array[][] = [];
    const closeBoth = (): void => {
      client.close();
      upstream?.close();
    };
    const openUpstream = (): WebSocket => {
      upstreamConnections++;
      const ws = new WebSocket(upstreamWsUrl + (req.url?.replace(/^\/ws/, '') ?? ''), [SECURE_SUBPROTOCOL]);
      const handshake = startClientHandshake();
      ws.on('open', () => ws.send(encodeFrame({ rid: 0, body: { case: 'secureHello', value: handshake.hello } })));
      ws.on('message', (data: Buffer) => {
        if (!toServer) {
          const r = decodeFrame(data);
          const done = r.ok && r.frame.body.case === 'secureWelcome' ? handshake.finish(r.frame.body.value) : undefined;
          if (!done?.ok) return closeBoth();
          toServer = done.channel;
          for (const frames of queued.splice(0)) ws.send(toServer.seal(frames));
          return;
        }
        const opened = toServer.open(data);
        if (!opened.ok) return closeBoth();
        read(opened.frames);
        client.send(toClient!.seal(opened.frames));
      });
      ws.on('close', () => client.close());
      ws.on('error', () => client.close());
      return ws;
    };
    client.on('message', (data: Buffer) => {
      if (!toClient) {
        const r = decodeFrame(data);
        const accepted = r.ok && r.frame.body.case === 'secureHello' ? acceptSecureHello(key, r.frame.body.value, 'mitm') : undefined;
        if (!accepted) return closeBoth();
        toClient = accepted.channel;
        client.send(encodeFrame({ rid: 0, body: { case: 'secureWelcome', value: accepted.welcome } }));
        return;
      }
      const opened = toClient.open(data);
      if (!opened.ok) return closeBoth();
      read(opened.frames);
      upstream ??= openUpstream();
      if (toServer) upstream.send(toServer.seal(opened.frames));
      else queued.push(opened.frames);
    });
    client.on('close', () => upstream?.close());
  });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  return {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/ws`,
    /** The key the relay presents. */
    key: key.publicKeyText,
    seen,
    /** Tokens read from clients' sealed hellos. */
    tokens: (): string[] => seen.flatMap((f) => (f.body.case === 'hello' && f.body.value.token ? [f.body.value.token] : [])),
    /** Connections the relay opened to the real node (one per client session that got past the handshake). */
    get upstreamConnections() {
      return upstreamConnections;
    },
    close: (): Promise<void> =>
      new Promise((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  };
}
