import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/** proto/ sits at the repository root; the same relative path works from src/ and dist/. */
export const PEER_PROTO = path.resolve(__dirname, '../../../../proto/peer.proto');

export interface PeerPackage {
  Peer: grpc.ServiceClientConstructor;
}

let cached: PeerPackage | null = null;

export function peerServices(): PeerPackage {
  if (!cached) {
    const def = protoLoader.loadSync(PEER_PROTO, {
      keepCase: false,
      longs: Number,
      enums: String,
      defaults: true,
      oneofs: false,
    });
    cached = (grpc.loadPackageDefinition(def) as unknown as { flotilla: { peer: PeerPackage } }).flotilla.peer;
  }
  return cached;
}

/** Wire shapes (proto-loader with camelCase fields). */
export interface WireBlob {
  mediaType: string;
  digest: string;
  size: number;
}

export interface WireResolved {
  found: boolean;
  imageId: string;
  manifest: WireBlob | null;
  config: WireBlob | null;
  layers: WireBlob[];
  repoDigests: string[];
}

export interface WireLogsRequest {
  taskId: string;
  containerId: string;
  follow: boolean;
  tail: number;
  since: number;
}

export interface WireLogLine {
  stream: string;
  time: string;
  line: string;
}
