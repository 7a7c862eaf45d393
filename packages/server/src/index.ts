/**
 * @tidings/server: a Tidings node (gateway, services, storage and bus).
 *
 * @example
 * ```ts
 * import { startNode, loadConfig, createLogger } from '@tidings/server';
 * const node = await startNode(loadConfig({ env: process.env }), createLogger('info'));
 * ```
 */
export { startNode } from './app.ts';
export type { TidingsNode, RuntimeInfo, NodeAdapters } from './app.ts';
export { loadConfig, configFromProcess, ConfigError } from './config/load.ts';
export { SCHEMA as CONFIG_SCHEMA, envName } from './config/schema.ts';
export type { Config } from './config/schema.ts';
export { createLogger } from './log/logger.ts';
export type { Logger } from './log/logger.ts';
export { issueUserToken, verifyUserToken } from './auth/tokens.ts';
export { newApp } from './auth/credentials.ts';
export { createSqliteStore } from './storage/sqlite/store.ts';
export type { Store, AppRecord, StoredMessage, SendInput, SendOutcome, ConversationChange } from './storage/port.ts';
export { createLocalBus } from './bus/local/local-bus.ts';
export type { Bus, BusMessage } from './bus/port.ts';
export { startClientHandshake, acceptSecureHello } from './secure/handshake.ts';
export type { ClientHandshake } from './secure/handshake.ts';
export { SecureChannel } from './secure/channel.ts';
export type { OpenResult } from './secure/channel.ts';
export { loadServerKey } from './secure/server-key.ts';
export type { ServerKey } from './secure/server-key.ts';
