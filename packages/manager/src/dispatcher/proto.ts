import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/** proto/ sits at the repository root; the same relative path works from src/ and dist/. */
export const SWARM_PROTO = path.resolve(__dirname, '../../../../proto/swarm.proto');

interface SwarmPackage {
  flotilla: {
    swarm: {
      CA: grpc.ServiceClientConstructor;
      Dispatcher: grpc.ServiceClientConstructor;
      RaftMembership: grpc.ServiceClientConstructor;
    };
  };
}

let cached: SwarmPackage['flotilla']['swarm'] | null = null;

export function swarmServices(): SwarmPackage['flotilla']['swarm'] {
  if (!cached) {
    const def = protoLoader.loadSync(SWARM_PROTO, {
      keepCase: false,
      longs: Number,
      enums: String,
      defaults: true,
      oneofs: false,
    });
    cached = (grpc.loadPackageDefinition(def) as unknown as SwarmPackage).flotilla.swarm;
  }
  return cached;
}
