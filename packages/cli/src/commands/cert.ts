import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from '../errors.ts';

/**
 * `tidings cert dev`: a self-signed development certificate (ECDSA P-256,
 * 30 days, for localhost, 127.0.0.1 and ::1 plus any --host) made with the
 * machine's openssl. Never for production: clients must trust it explicitly.
 */
export async function runCert(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { out: { type: 'string' }, host: { type: 'string', multiple: true }, days: { type: 'string' }, force: { type: 'boolean' } },
  });
  if (positionals[0] !== 'dev') throw new CliError('usage: tidings cert dev [--out DIR] [--host NAME]... [--days N] [--force]');
  const out = values.out ?? '.tidings/tls';
  const days = Number(values.days ?? 30);
  if (!Number.isInteger(days) || days < 1 || days > 825) throw new CliError('--days must be 1-825');
  const hosts = ['localhost', ...(values.host ?? [])];
  for (const h of hosts) if (!/^[A-Za-z0-9.-]+$/.test(h)) throw new CliError(`invalid host name ${JSON.stringify(h)}`);
  const cert = join(out, 'cert.pem');
  const key = join(out, 'key.pem');
  if (!values.force && (existsSync(cert) || existsSync(key))) throw new CliError(`${out} already holds a certificate; pass --force to replace it`);
  mkdirSync(out, { recursive: true });
  const san = [...hosts.map((h) => `DNS:${h}`), 'IP:127.0.0.1', 'IP:::1'].join(',');
  try {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert,
        '-days', String(days), '-subj', '/CN=Tidings development', '-addext', `subjectAltName=${san}`],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    throw new CliError(`openssl failed${stderr ? `: ${stderr}` : ` (${(err as Error).message})`}`);
  }
  process.stdout.write(
    `development certificate written:\n  ${cert}\n  ${key}\nstart with: TIDINGS_TLS_CERT=${cert} TIDINGS_TLS_KEY=${key} npm start\n` +
      `clients must trust ${cert} (e.g. NODE_EXTRA_CA_CERTS=${cert})\n`,
  );
}
