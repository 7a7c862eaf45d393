import type { Logger } from '../../log/logger.ts';
import type { Store } from '../../storage/port.ts';
import type { SendDraft, SendResult } from '../send-path.ts';
import { callPreSend, type PreSendDecision } from './pre-send.ts';
import { wantsMessages, type WebhookSettings } from './settings.ts';

/** Stream entries the server itself generates (recalls, group changes) skip the pre-send hook. */
const SERVER_TYPE_PREFIX = 'tidings.';

/**
 * Between validation and the commit queue: flags sends whose app wants
 * message callbacks (the outbox entry then commits with the message) and
 * runs the app's pre-send hook. Per sender lane (app, conversation, sender,
 * device) drafts leave in arrival order: while one waits for its hook (or
 * for the app's settings to load), later drafts of that lane queue behind
 * it, so a hook never lets a later message overtake an earlier one. Apps
 * without a hook take the synchronous path: one map lookup, no await.
 */
export function createSendGate(o: {
  readonly store: Store;
  readonly settings: WebhookSettings;
  readonly log: Logger;
  readonly now: () => number;
  readonly fetch?: typeof fetch;
}) {
  const fetchFn = o.fetch ?? fetch;
  interface Job {
    readonly d: SendDraft;
    readonly done: (r: SendResult) => void;
    readonly next: (d: SendDraft) => void;
  }
  const lanes = new Map<string, Job[]>();
  let idle: Array<() => void> = [];

  async function decide(d: SendDraft): Promise<PreSendDecision> {
    const config = await o.settings.get(d.appKey);
    const webhook = wantsMessages(config);
    const flagged = (draft: SendDraft): SendDraft => ({ ...draft, gated: true, ...(webhook ? { webhook: true } : {}) });
    if (!config?.preSendUrl || d.type.startsWith(SERVER_TYPE_PREFIX)) return { ok: true, draft: flagged(d) };
    const app = await o.store.getApp(d.appKey);
    if (!app) return { ok: true, draft: flagged(d) };
    const r = await callPreSend(fetchFn, app, config, d, o.now());
    return r.ok ? { ok: true, draft: flagged(r.draft) } : r;
  }

  async function drainLane(key: string, jobs: Job[]): Promise<void> {
    while (jobs.length > 0) {
      const job = jobs[0]!;
      let r: PreSendDecision;
      try {
        r = await decide(job.d);
      } catch (err) {
        o.log.error({ err, convId: job.d.convId }, 'send gate failed');
        r = { ok: false, code: 'storage.unavailable', message: 'webhook settings unavailable' };
      }
      jobs.shift();
      if (r.ok) job.next(r.draft);
      else job.done({ ok: false, code: r.code, message: r.message });
    }
    lanes.delete(key);
    if (lanes.size === 0) {
      const waiters = idle;
      idle = [];
      for (const w of waiters) w();
    }
  }

  return {
    /** Passes `d` (flagged, maybe rewritten) to `next`, or answers `done` with a refusal. */
    admit(d: SendDraft, done: (r: SendResult) => void, next: (d: SendDraft) => void): void {
      const key = `${d.appKey}\u0000${d.convId}\u0000${d.senderId}\u0000${d.senderDevice}`;
      const queued = lanes.get(key);
      if (queued) return void queued.push({ d, done, next });
      const config = o.settings.peek(d.appKey);
      if (config !== undefined && (!config?.preSendUrl || d.type.startsWith(SERVER_TYPE_PREFIX))) {
        return next({ ...d, gated: true, ...(wantsMessages(config) ? { webhook: true } : {}) });
      }
      const jobs = [{ d, done, next }];
      lanes.set(key, jobs);
      void drainLane(key, jobs);
    },
    /** Resolves when no draft waits in the gate. */
    drain(): Promise<void> {
      if (lanes.size === 0) return Promise.resolve();
      return new Promise<void>((r) => idle.push(r));
    },
  };
}

/** The send gate. */
export type SendGate = ReturnType<typeof createSendGate>;
