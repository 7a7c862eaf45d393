// Fan-out peer: a plain `ws` server that relays every binary frame it gets to
// every OTHER connected socket (the same Buffer each time: encoded once), and
// nothing else. Prints `{"port":N}` once listening.
//
// Usage: node bench/baselines/ws-fanout-server.ts --port 0
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { WebSocket, WebSocketServer } from 'ws';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, host: { type: 'string', default: '127.0.0.1' } } });

const http = createServer((_req, res) => res.writeHead(404).end());
const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
wss.on('connection', (ws) => {
  ws.on('message', (data: Buffer) => {
    for (const peer of wss.clients) if (peer !== ws && peer.readyState === WebSocket.OPEN) peer.send(data, { binary: true });
  });
  ws.on('error', () => ws.terminate());
});

http.listen(Number(values.port), values.host, () => {
  process.stdout.write(JSON.stringify({ port: (http.address() as AddressInfo).port }) + '\n');
});

const stop = (): void => {
  for (const ws of wss.clients) ws.terminate();
  wss.close();
  http.close(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
