/** The file WAL's public surface (see file-storage.ts for the API and on-disk layout). */
export { crc32c } from "./crc32c.ts";
export {
  FileStorage,
  type FileStorageOptions,
  openFileStorage,
  type RecoveryReport,
} from "./file-storage.ts";
export * from "./limits.ts";
export { WalCorruptionError, type WalProblem } from "./recover.ts";
export { type SyncMode, WalStats } from "./sync-stats.ts";
export { readWalReport, type WalReport } from "./verify.ts";
