// Running the host tools a machine is built from (ip, nsenter, iptables).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export class MachineCommandError extends Error {
  constructor(cmd: string[], stderr: string) {
    super(`${cmd.join(' ')} failed: ${stderr.trim()}`);
    this.name = 'MachineCommandError';
  }
}

export async function sh(cmd: string[], opts: { signal?: AbortSignal } = {}): Promise<string> {
  const [bin, ...args] = cmd;
  if (bin === undefined) throw new MachineCommandError(cmd, 'empty command');
  try {
    const { stdout } = await run(bin, args, { signal: opts.signal });
    return stdout;
  } catch (e) {
    throw new MachineCommandError(cmd, (e as { stderr?: string }).stderr ?? (e as Error).message);
  }
}

/** For teardown: the object may already be gone. */
export const shQuiet = async (cmd: string[]): Promise<void> => {
  await sh(cmd).catch(() => undefined);
};
