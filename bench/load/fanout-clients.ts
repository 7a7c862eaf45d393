// Fan-out clients of the plain peers (ws relay, Socket.IO, NATS, MQTT): each
// can publish a payload to everyone else and hands every payload it receives
// to `onMessage`. Opening resolves once the client is subscribed.
import { createConnection } from 'node:net';
import { WebSocket } from 'ws';
import { io } from 'socket.io-client';
import { connect as natsConnect } from '@nats-io/transport-node';
import mqtt from 'mqtt';

/** The peers that take part in the fan-out comparison. */
export type FanoutTarget = 'ws' | 'socketio' | 'nats' | 'mqtt';

/** One open fan-out client. */
export interface FanoutClient {
  publish(payload: Buffer): void;
  close(): void;
}

const SUBJECT = 'bench.fanout';

/** Opens one client of `target` at `url` from `localAddress` (where the client library lets us pick it). */
export async function openFanout(target: FanoutTarget, url: string, id: string, localAddress: string, onMessage: (payload: Buffer) => void): Promise<FanoutClient> {
  switch (target) {
    case 'ws': {
      const ws = new WebSocket(url, { perMessageDeflate: false, localAddress });
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
      ws.on('message', (d: Buffer) => onMessage(d));
      ws.on('error', () => {});
      return { publish: (p) => ws.send(p, { binary: true }), close: () => ws.terminate() };
    }
    case 'socketio': {
      const s = io(url, { transports: ['websocket'], reconnection: false, localAddress } as Parameters<typeof io>[1]);
      await new Promise<void>((resolve, reject) => {
        s.once('connect', () => resolve());
        s.once('connect_error', reject);
      });
      s.on('fan', (d: Buffer) => onMessage(d));
      return { publish: (p) => void s.emit('fan', p), close: () => void s.disconnect() };
    }
    case 'nats': {
      const nc = await natsConnect({ servers: url.replace('nats://', ''), reconnect: false, name: id });
      nc.subscribe(SUBJECT, { callback: (err, msg) => {
          if (!err) onMessage(Buffer.from(msg.data.buffer, msg.data.byteOffset, msg.data.byteLength));
        },
      });
      await nc.flush();
      return { publish: (p) => nc.publish(SUBJECT, p), close: () => void nc.close() };
    }
    case 'mqtt': {
      const u = new URL(url);
      const c = new mqtt.MqttClient(() => createConnection({ port: Number(u.port), host: u.hostname, localAddress }), { clientId: id, keepalive: 60, reconnectPeriod: 0, protocolVersion: 4 });
      await new Promise<void>((resolve, reject) => {
        c.once('connect', () => resolve());
        c.once('error', reject);
      });
      await new Promise<void>((resolve, reject) => c.subscribe(SUBJECT, { qos: 0 }, (err) => (err ? reject(err) : resolve())));
      c.on('message', (_t, payload) => onMessage(payload));
      return { publish: (p) => void c.publish(SUBJECT, p, { qos: 0 }), close: () => void c.end(true) };
    }
  }
}
