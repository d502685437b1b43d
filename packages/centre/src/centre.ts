/**
 * A config centre holds ONE YAML document under one key (etcd) or node (ZooKeeper). The centre
 * knows nothing about gateworker's schema: it reads, watches and writes text with a revision.
 * Validation, merging and applying are the caller's (bin/src/config/live.ts).
 */

/** The document as stored, with the backend's revision of it (etcd mod_revision, ZooKeeper mzxid). */
export interface CentreDocument {
  readonly text: string;
  readonly revision: string;
}

/** Connection state of a centre's watch, for logs and status. */
export type CentreState = 'connected' | 'disconnected';

export interface CentreWatchHandlers {
  /** A new version of the document; null when the key or node was deleted. */
  change(document: CentreDocument | null): void;
  /** The watch lost or regained its connection; it reconnects by itself. */
  state(state: CentreState, error: Error | null): void;
}

/** A running watch; `close()` stops it. */
export interface CentreWatch {
  close(): Promise<void>;
}

export interface ConfigCentre {
  /** For logs and errors, e.g. `etcd http://127.0.0.1:2379 key /gateworker/prod/config`. */
  readonly description: string;
  /** The current document, or null when the key or node does not exist. Rejects when the centre cannot be reached in time. */
  read(): Promise<CentreDocument | null>;
  /**
   * Reports every change made after `after` (the revision of a document already read, or null
   * to start from now). Survives outages: after a reconnect it resumes from the last revision it
   * saw, so no change is missed; if the backend cannot replay (etcd compaction, a ZooKeeper
   * session loss), it re-reads the document and reports it if it changed.
   */
  watch(after: CentreDocument | null, handlers: CentreWatchHandlers): Promise<CentreWatch>;
  /** Writes the document; resolves with the new revision. */
  write(text: string): Promise<string>;
  close(): Promise<void>;
}
