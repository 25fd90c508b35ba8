import { z } from 'zod';

/** A node's description as it sends it (join, session): Docker's Node.Description, checked at the edge. */
export const nodeDescriptionSchema = z.object({
  Hostname: z.string(),
  Platform: z.object({ Architecture: z.string(), OS: z.string() }),
  Resources: z.object({ NanoCPUs: z.number(), MemoryBytes: z.number() }),
  Engine: z.object({ EngineVersion: z.string(), Labels: z.record(z.string(), z.string()).optional() }),
});
