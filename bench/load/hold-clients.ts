// One idle client per target protocol, for the connection-holding generator.
// Each `open*` resolves when the connection is usable (Tidings: the welcome
// frame, i.e. authenticated) and returns a way to close it; `onDrop` is
// called if it closes on its own afterwards.
import { createConnection } from 'node:net';
import { WebSocket } from 'ws';
import { io } from 'socket.io-client';
import { connect as natsConnect } from '@nats-io/transport-node';
import mqtt from 'mqtt';
import type { Target } from '../lib/server-handle.ts';
import { BODY, scanFrame, type Scan } from './wire.ts';

/** An open client connection. */
export interface Held {
  close(): void;
}

/** What opening one connection needs. */
export interface OpenSpec {
  readonly url: string;
  readonly user: string;
  readonly localAddress: string;
  /** Tidings only: the user's token. */
  readonly token?: string;
  readonly timeoutMs: number;
  readonly onDrop: () => void;
}

const scan: Scan = { rid: 0, body: 0, start: 0, end: 0 };

function withTimeout<T>(p: Promise<T>, ms: number, what: string, onTimeout: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout();
      reject(new Error(`${what}: no answer within ${ms} ms`));
    }, ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

function openWs(target: 'tidings' | 'ws', s: OpenSpec): Promise<Held> {
  const query = target === 'tidings' ? '?device=d1' : `?device=d1&user=${s.user}&peer=-`;
  const protocols = target === 'tidings' ? ['tidings.v1', 'tidings.token.' + (s.token ?? '')] : ['tidings.v1'];
  const ws = new WebSocket(s.url + query, protocols, { perMessageDeflate: false, localAddress: s.localAddress });
  const ready = new Promise<Held>((resolve, reject) => {
    ws.once('error', reject);
    ws.once('close', (code, reason) => reject(new Error(`closed ${code} ${reason.toString()}`)));
    const done = (): void => {
      ws.removeAllListeners('error').removeAllListeners('close').removeAllListeners('message');
      ws.on('error', () => {});
      ws.on('close', s.onDrop);
      resolve({ close: () => ws.terminate() });
    };
    if (target === 'ws') ws.once('open', done);
    else ws.once('message', (d: Buffer) => (scanFrame(d, scan) && scan.body === BODY.welcome ? done() : reject(new Error('expected a welcome frame'))));
  });
  return withTimeout(ready, s.timeoutMs, `connect ${s.user}`, () => ws.terminate());
}

function openSocketIo(s: OpenSpec): Promise<Held> {
  const socket = io(s.url, { transports: ['websocket'], reconnection: false, localAddress: s.localAddress, timeout: s.timeoutMs } as Parameters<typeof io>[1]);
  const ready = new Promise<Held>((resolve, reject) => {
    socket.once('connect_error', reject);
    socket.once('connect', () => {
      socket.on('disconnect', (reason) => reason !== 'io client disconnect' && s.onDrop());
      resolve({ close: () => socket.disconnect() });
    });
  });
  return withTimeout(ready, s.timeoutMs, `connect ${s.user}`, () => socket.disconnect());
}

async function openNats(s: OpenSpec): Promise<Held> {
  // The NATS client takes no source address: every socket comes from 127.0.0.1 (28,000 ports, enough for 19,000).
  const nc = await natsConnect({ servers: s.url.replace('nats://', ''), reconnect: false, timeout: s.timeoutMs, name: s.user });
  let closing = false;
  void nc.closed().then(() => closing || s.onDrop());
  return {
    close: () => {
      closing = true;
      void nc.close();
    },
  };
}

function openMqtt(s: OpenSpec): Promise<Held> {
  const u = new URL(s.url);
  const client = new mqtt.MqttClient(() => createConnection({ port: Number(u.port), host: u.hostname, localAddress: s.localAddress }), {
    clientId: s.user,
    keepalive: 60,
    reconnectPeriod: 0,
    connectTimeout: s.timeoutMs,
    protocolVersion: 4,
  });
  let closing = false;
  const ready = new Promise<Held>((resolve, reject) => {
    client.once('error', reject);
    client.once('connect', () => {
      client.removeAllListeners('error');
      client.on('error', () => {});
      client.on('close', () => closing || s.onDrop());
      resolve({
        close: () => {
          closing = true;
          client.end(true);
        },
      });
    });
  });
  return withTimeout(ready, s.timeoutMs, `connect ${s.user}`, () => client.end(true));
}

/** Opens one idle connection to `target`. */
export function openHeld(target: Target, s: OpenSpec): Promise<Held> {
  switch (target) {
    case 'tidings':
    case 'ws':
      return openWs(target, s);
    case 'socketio':
      return openSocketIo(s);
    case 'nats':
      return openNats(s);
    case 'mqtt':
      return openMqtt(s);
  }
}
