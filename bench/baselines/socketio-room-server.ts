// Socket.IO room broadcast (websocket transport only): every socket joins one
// room; a `pub` event is broadcast to the room (Socket.IO encodes a broadcast
// once per packet). Prints `{"port":N}`.
//
// Usage: node bench/baselines/socketio-room-server.ts --port 0
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { Server } from 'socket.io';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, host: { type: 'string', default: '127.0.0.1' } } });
const http = createServer();
const io = new Server(http, { transports: ['websocket'], perMessageDeflate: false, serveClient: false });
io.on('connection', (socket) => {
  void socket.join('room');
  socket.on('pub', (data: Buffer) => socket.broadcast.to('room').emit('m', data));
});
http.listen(Number(values.port), values.host, () => process.stdout.write(JSON.stringify({ port: (http.address() as AddressInfo).port }) + '\n'));
const stop = (): void => {
  io.disconnectSockets(true);
  void io.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
