// The Raft service definition (proto/raft.proto) loaded for grpc-js, shared by the transport and its callers.
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/** proto/ sits at the repository root; the same relative path works from src/ and dist/. */
export const RAFT_PROTO = path.resolve(__dirname, '../../../../proto/raft.proto');

export interface RaftServiceClient extends grpc.Client {
  Stream(callback: (err: grpc.ServiceError | null) => void): grpc.ClientWritableStream<unknown>;
  SendSnapshot(callback: (err: grpc.ServiceError | null) => void): grpc.ClientWritableStream<unknown>;
}

let cached: grpc.ServiceClientConstructor | null = null;

export function raftService(): grpc.ServiceClientConstructor {
  if (!cached) {
    const def = protoLoader.loadSync(RAFT_PROTO, {
      keepCase: false,
      longs: Number,
      enums: String,
      defaults: false,
      oneofs: false,
    });
    const pkg = grpc.loadPackageDefinition(def) as unknown as {
      flotilla: { raft: { Raft: grpc.ServiceClientConstructor } };
    };
    cached = pkg.flotilla.raft.Raft;
  }
  return cached;
}
