import { createClient, type TidingsClient } from '@tidings/sdk';
import { issueUserToken } from '@tidings/server';
import { createRecorder, type Recorder } from '@tidings/testkit';

/** One simulated device of a group or room load. */
export interface ConvDevice {
  readonly user: string;
  readonly client: TidingsClient;
  readonly rec: Recorder;
}

/** Options of {@link convDevices}. */
export interface ConvDevicesOptions {
  readonly url: string;
  readonly app: { readonly appKey: string; readonly tokenKey: string };
  /** The server key clients pin (base64url). */
  readonly serverKey: string;
  readonly users: readonly string[];
  /** Users (from the first) that run a second device. */
  readonly secondDevices?: number;
}

/** SDK clients with recorders on their events, for the history checker. */
export function convDevices(o: ConvDevicesOptions): ConvDevice[] {
  const devices: ConvDevice[] = [];
  for (const [i, user] of o.users.entries()) {
    for (let d = 0; d < (i < (o.secondDevices ?? 0) ? 2 : 1); d++) {
      const deviceId = `${user}-d${d}`;
      const client = createClient({
        url: o.url,
        token: () => issueUserToken(o.app, user, 3600),
        deviceId,
        backoff: { minMs: 20, maxMs: 400 },
        connectTimeoutMs: 2000,
        pingIntervalMs: 1000,
        serverKey: o.serverKey,
      });
      const rec = createRecorder(user, deviceId);
      client.on('queued', (q) => rec.sent(q.convId, q.clientMsgId));
      client.on('message', (m) => rec.surfaced(m.convId, m));
      client.on('ack', (a) => rec.acked(a.convId, a.clientMsgId, a));
      client.on('error', () => {});
      devices.push({ user, client, rec });
    }
  }
  return devices;
}

/** Waits until `ok()` or throws `what` after `ms`. */
export async function waitFor(ok: () => boolean, what: () => string, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out: ${what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
