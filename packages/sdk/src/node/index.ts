/**
 * @tidings/sdk/node: Node-only parts of the SDK.
 */
export { createFileStore } from './file-store.ts';
export type { FileStore, FileStoreOptions } from './file-store.ts';
