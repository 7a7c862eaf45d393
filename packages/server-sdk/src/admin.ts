import { createTransport, path, type TransportOptions } from './transport.ts';
import type { AppInfo, AppWithSecret } from './types.ts';

/** Options of {@link createAdminClient}. */
export interface AdminClientOptions extends TransportOptions {
  /** The operator credential (server setting operatorToken), never an app secret. */
  readonly operatorToken: string;
}

/**
 * The operator's client: create, list, disable and enable apps, rotate their
 * secrets. Only reads are retried (a retried create could make two apps).
 *
 * @example
 * ```ts
 * const admin = createAdminClient({ baseUrl, operatorToken });
 * const { appKey, appSecret } = await admin.apps.create('shop');
 * ```
 */
export function createAdminClient(o: AdminClientOptions) {
  const t = createTransport({ kind: 'operator', operatorToken: o.operatorToken }, o);
  return {
    apps: {
      create: (name: string): Promise<AppWithSecret> => t.request({ method: 'POST', path: '/v1/admin/apps', body: { name }, retry: false }),
      list: async (): Promise<AppInfo[]> => (await t.request<{ apps: AppInfo[] }>({ method: 'GET', path: '/v1/admin/apps' })).apps,
      disable: (appKey: string): Promise<AppInfo> => t.request({ method: 'POST', path: path`/v1/admin/apps/${appKey}/disable`, body: {} }),
      enable: (appKey: string): Promise<AppInfo> => t.request({ method: 'POST', path: path`/v1/admin/apps/${appKey}/enable`, body: {} }),
      /** New secret; the old one keeps working for `graceSeconds` (default 3600). */
      rotateSecret: (appKey: string, graceSeconds?: number): Promise<AppWithSecret> =>
        t.request({
          method: 'POST',
          path: path`/v1/admin/apps/${appKey}/rotate-secret`,
          body: graceSeconds === undefined ? {} : { graceSeconds },
          retry: false,
        }),
    },
  };
}

/** The operator client. */
export type AdminClient = ReturnType<typeof createAdminClient>;
