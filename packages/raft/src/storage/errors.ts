// Named storage errors. Messages say what is wrong and what the operator should do.

/** A WAL record before the tail fails its checksum: the log cannot be trusted past it. */
export class WalCorruptError extends Error {
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly reason: string,
  ) {
    super(
      `raft WAL segment ${file} is corrupt at byte offset ${offset} (${reason}); refusing to start because ` +
        'the records after it cannot be trusted. Do not edit the file: stop this manager, move its raft ' +
        'data directory aside, and re-join it to the cluster so it catches up from a healthy member by snapshot.',
    );
    this.name = 'WalCorruptError';
  }
}

/** A snapshot file is missing, truncated or fails its checksum. */
export class SnapshotCorruptError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(
      `raft snapshot ${file} is unusable (${reason}); refusing to start. Stop this manager, move its raft ` +
        'data directory aside, and re-join it to the cluster so it receives a fresh snapshot from the leader.',
    );
    this.name = 'SnapshotCorruptError';
  }
}

/** The storage was used after close(). */
export class StorageClosedError extends Error {
  constructor() {
    super('raft storage is closed; open it again with DurableStorage.open()');
    this.name = 'StorageClosedError';
  }
}

/** A WAL or snapshot record is intact but cannot be decrypted: no data key, or another node's key. */
export class WalDecryptError extends Error {
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly reason: string,
  ) {
    super(
      `raft data ${file} cannot be read at byte offset ${offset}: ${reason}. The Raft data is encrypted at ` +
        "rest with this manager's data key (kept beside its TLS key); start the manager with the data root it " +
        'was written with, or move its raft directory aside and re-join it to the cluster.',
    );
    this.name = 'WalDecryptError';
  }
}
