// The baseline of the one-to-one benchmark: a plain `ws` relay written for
// the purpose. It does the socket work Tidings does for a 1:1 message (one
// inbound frame, two outbound frames: the ack to the sender and the push to
// the peer) and nothing else: no decoding, no storage, no fan-out lookup
// beyond one Map. Writes are corked per event-loop turn, as Tidings does, so
// the comparison isolates what decoding, storage and routing cost.
//
// Usage: node bench/baselines/ws-echo-server.ts --port 0
// Clients connect to ws://127.0.0.1:<port>/ws?user=<me>&peer=<them>.
import { createServer } from 'node:http';
import type { Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { WebSocket, WebSocketServer } from 'ws';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, host: { type: 'string', default: '127.0.0.1' } } });

interface Peer {
  readonly ws: WebSocket;
  readonly raw: Socket;
  corked: boolean;
}

const byUser = new Map<string, Peer>();

function write(p: Peer, data: Buffer): void {
  if (p.ws.readyState !== WebSocket.OPEN) return;
  if (!p.corked) {
    p.corked = true;
    p.raw.cork();
    process.nextTick(() => {
      p.corked = false;
      p.raw.uncork();
    });
  }
  p.ws.send(data, { binary: true });
}

const http = createServer((_req, res) => res.writeHead(404).end());
const wss = new WebSocketServer({
  noServer: true,
  perMessageDeflate: false,
  handleProtocols: (protocols) => (protocols.has('tidings.v1') ? 'tidings.v1' : false),
});

http.on('upgrade', (req, socket, head) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const user = url.searchParams.get('user') ?? '';
  const peerId = url.searchParams.get('peer') ?? '';
  wss.handleUpgrade(req, socket, head, (ws) => {
    const me: Peer = { ws, raw: socket as Socket, corked: false };
    byUser.set(user, me);
    ws.on('message', (data: Buffer) => {
      write(me, data); // the ack
      const peer = byUser.get(peerId);
      if (peer) write(peer, data); // the push
    });
    ws.on('close', () => {
      if (byUser.get(user) === me) byUser.delete(user);
    });
    ws.on('error', () => ws.terminate());
  });
});

http.listen(Number(values.port), values.host, () => {
  process.stdout.write(JSON.stringify({ port: (http.address() as AddressInfo).port }) + '\n');
});

const stop = (): void => {
  for (const p of byUser.values()) p.ws.terminate();
  wss.close();
  http.close(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
