import { parseConvId, privateConvId } from '@tidings/protocol';
import { createClient, type TidingsClient } from '@tidings/sdk';
import { issueUserToken } from '@tidings/server';
import { check, createRandom, createRecorder, type HistoryReport, type Recorder } from '@tidings/testkit';

/** Members of a private conversation, from its id. */
export function membersOf(convId: string): readonly string[] {
  const p = parseConvId(convId);
  return p?.kind === 'private' ? p.members : [];
}

/** One simulated device: an SDK client with a recorder on its events. */
export interface SimDevice {
  readonly user: string;
  readonly client: TidingsClient;
  readonly rec: Recorder;
}

/** Options of {@link createChatLoad}. */
export interface ChatLoadOptions {
  /**
   * Where clients connect (a fault proxy's URL, or the server's). Several
   * (cluster nodes): device i starts on url i mod n and fails over to the next.
   */
  readonly url: string | readonly string[];
  /** The SDK's anti-entropy sync interval (its default when absent). */
  readonly syncIntervalMs?: number;
  readonly app: { readonly appKey: string; readonly tokenKey: string };
  readonly users: number;
  /** Users (from the first) that run a second device. */
  readonly secondDevices?: number;
  readonly seed: number;
  /** Secure session (default true); false for plaintext clients a frame-aware fault proxy can read. */
  readonly secure?: boolean;
  /** The server key clients pin (base64url), or every node's key of a cluster. */
  readonly serverKey: string | readonly string[];
}

/**
 * Many SDK clients in one process, each recording its history for the
 * history checker. Members of a private conversation come from its id.
 */
export function createChatLoad(o: ChatLoadOptions) {
  const rng = createRandom(o.seed);
  const devices: SimDevice[] = [];
  const users = Array.from({ length: o.users }, (_, i) => `u${i}`);
  const acked = new Map<string, number>();
  const urls = typeof o.url === 'string' ? [o.url] : o.url;
  for (const [i, user] of users.entries()) {
    for (let d = 0; d < (i < (o.secondDevices ?? 0) ? 2 : 1); d++) {
      const deviceId = `${user}-d${d}`;
      const first = devices.length % urls.length;
      const client = createClient({
        url: [...urls.slice(first), ...urls.slice(0, first)],
        ...(o.syncIntervalMs !== undefined ? { syncIntervalMs: o.syncIntervalMs } : {}),
        token: () => issueUserToken(o.app, user, 3600),
        deviceId,
        backoff: { minMs: 20, maxMs: 400 },
        connectTimeoutMs: 2000,
        pingIntervalMs: 1000,
        ...(o.secure === false ? { secure: false } : {}),
        serverKey: o.serverKey,
      });
      const rec = createRecorder(user, deviceId);
      client.on('queued', (q) => rec.sent(q.convId, q.clientMsgId));
      client.on('message', (m) => rec.surfaced(m.convId, m));
      client.on('ack', (a) => {
        rec.acked(a.convId, a.clientMsgId, a);
        acked.set(a.convId, Math.max(acked.get(a.convId) ?? 0, a.seq));
      });
      devices.push({ user, client, rec });
    }
  }

  /** Devices with unacked sends, and per conversation the member devices that have not surfaced its acked max. */
  const lagging = () => {
    const pending = devices.filter((d) => d.client.outboxSize > 0);
    const behind = new Map<string, SimDevice[]>();
    for (const [conv, max] of acked) {
      const members = membersOf(conv);
      const late = devices.filter((d) => members.includes(d.user) && d.client.lastSeq(conv) < max);
      if (late.length > 0) behind.set(conv, late);
    }
    return { pending, behind };
  };

  return {
    devices,
    async connect(): Promise<void> {
      await Promise.all(devices.map((d) => d.client.connect()));
    },
    /** Sends `perDevice` messages from every device to random peers, `pace` at a time. */
    async traffic(perDevice: number, pauseMs = 2): Promise<void> {
      await Promise.all(
        devices.map(async (d) => {
          for (let i = 0; i < perDevice; i++) {
            let peer = d.user;
            while (peer === d.user) peer = users[rng.int(users.length)]!;
            const conv = privateConvId(d.user, peer);
            d.client.send(conv, { type: 'text', content: `${d.rec.deviceId}#${i}` }).catch(() => {});
            if (i % 10 === 9) await new Promise((r) => setTimeout(r, pauseMs));
          }
        }),
      );
    },
    /** Waits until every outbox is empty and every member device has surfaced every acked seq. */
    async drain(timeoutMs: number): Promise<void> {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const { pending, behind } = lagging();
        if (pending.length === 0 && behind.size === 0) return;
        if (Date.now() > end) {
          // Name what keeps it from finishing: devices with unacked sends, and devices behind a conversation's acked max.
          const lines = [
            ...pending.map((d) => `${d.rec.deviceId} (${d.client.state}): ${d.client.outboxSize} unacked`),
            ...[...behind].flatMap(([conv, ds]) => ds.map((d) => `${d.rec.deviceId} (${d.client.state}): ${conv} at ${d.client.lastSeq(conv)} of ${acked.get(conv)}`)),
          ];
          throw new Error(`not drained: ${pending.length} outboxes pending, ${behind.size} conversations behind\n${lines.slice(0, 40).join('\n')}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    check(): HistoryReport {
      return check(
        devices.map((d) => d.rec),
        {
          members: membersOf,
        },
      );
    },
    totalAcked(): number {
      return [...acked.values()].reduce((a, b) => a + b, 0);
    },
    async close(): Promise<void> {
      await Promise.all(devices.map((d) => d.client.close()));
    },
  };
}
