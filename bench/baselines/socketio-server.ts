// Socket.IO peer: a plain Socket.IO server (websocket transport only) that
// keeps every socket; `fan` events are broadcast to
// every other socket, nothing else is relayed. Prints `{"port":N}` once listening.
//
// Usage: node bench/baselines/socketio-server.ts --port 0
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { Server } from 'socket.io';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, host: { type: 'string', default: '127.0.0.1' } } });

const http = createServer();
const io = new Server(http, { transports: ['websocket'], perMessageDeflate: false, serveClient: false });
io.on('connection', (socket) => {
  socket.on('echo', (data: unknown) => socket.emit('echo', data));
  // Fan-out: to every other socket (Socket.IO encodes a broadcast once).
  socket.on('fan', (data: unknown) => socket.broadcast.emit('fan', data));
});

http.listen(Number(values.port), values.host, () => {
  process.stdout.write(JSON.stringify({ port: (http.address() as AddressInfo).port }) + '\n');
});

const stop = (): void => {
  io.disconnectSockets(true);
  void io.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
