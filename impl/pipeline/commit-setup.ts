/**
 * Opens the backend of a remote commit stage from the pipeline options: the
 * Raft members given by --raft-peers, or an embedded 3-member local cluster
 * in a data dir (stopped with the pipeline); or the etcd endpoints.
 * Owner: the pipeline's main thread.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalCluster } from "../raft/host/launcher.ts";
import { EtcdCommitBackend } from "./commit-etcd.ts";
import type { CommitBackend } from "./commit-host.ts";
import { parseRaftPeers, RaftCommitBackend } from "./commit-raft.ts";
import type { PipelineConfig } from "./config.ts";

/** Members of the embedded cluster. */
export const EMBEDDED_MEMBERS = 3;

export interface CommitSetup {
  backend: CommitBackend;
  /** The embedded cluster's data dir, when there is one. */
  embeddedDataDir: string | null;
  stop(): Promise<void>;
}

export async function openCommitBackend(cfg: PipelineConfig): Promise<CommitSetup> {
  if (cfg.commitStage === "etcd") {
    if (!cfg.etcdEndpoints) throw new Error("--etcd-endpoints is required with --commit etcd");
    const backend = new EtcdCommitBackend(cfg.etcdEndpoints.split(","));
    return { backend, embeddedDataDir: null, stop: () => backend.close() };
  }
  if (cfg.raftPeers) {
    const backend = new RaftCommitBackend(parseRaftPeers(cfg.raftPeers), cfg.commitMaxInFlight);
    return { backend, embeddedDataDir: null, stop: () => backend.close() };
  }
  const dataDir = cfg.raftDataDir ?? mkdtempSync(join(tmpdir(), "eventlab-raft-"));
  const cluster = await LocalCluster.create({
    members: EMBEDDED_MEMBERS,
    dataDir,
    // No snapshots: the whole committed log stays in the WALs for `cluster verify --acks`.
    memberArgs: ["--fsync", String(cfg.raftFsync), "--snapshot-every", "0"],
    onLine: (id, line) => {
      if (!cfg.quiet) console.error(`[raft member ${id}] ${line}`);
    },
  });
  try {
    await cluster.startAll();
  } catch (err) {
    await cluster.stopAll();
    throw err;
  }
  const backend = new RaftCommitBackend(cluster.clientAddresses(), cfg.commitMaxInFlight);
  return {
    backend,
    embeddedDataDir: dataDir,
    stop: async () => {
      await backend.close();
      await cluster.stopAll();
    },
  };
}
