// flotilla swarm unlock | unlock-key [-q] [--rotate], and the unlock key paragraph that `swarm
// init --autolock` and `swarm update --autolock=true` print (docker's texts, flotilla's name).
import { UsageError, bool, parseArgs } from '../args';
import { ExitError, type Ctx, out } from '../io';

/** Docker's paragraph naming the key to keep (printed without a trailing blank line). */
export function unlockInstructions(key: string): string {
  return (
    'To unlock a swarm manager after it restarts, run the `flotilla swarm unlock`\ncommand and provide the following key:\n\n' +
    `    ${key}\n\nPlease remember to store this key in a password manager, since without it you\nwill not be able to restart the manager.`
  );
}

/** Prints the cluster's unlock key paragraph (after init or update turned autolock on). */
export async function printUnlockKey(ctx: Ctx): Promise<void> {
  const { UnlockKey } = await ctx.client.json<{ UnlockKey: string }>('GET', '/swarm/unlockkey');
  if (UnlockKey) out(ctx, unlockInstructions(UnlockKey));
}

type TtyIn = NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };

/** Reads the key like docker: from a terminal with a prompt and no echo, else one line of stdin. */
async function readKey(ctx: Ctx, prompt: string): Promise<string> {
  const stdin = ctx.io.stdin as unknown as TtyIn;
  if (stdin.isTTY && stdin.setRawMode) {
    ctx.io.stdout.write(prompt);
    stdin.setRawMode(true);
    try {
      return await new Promise<string>((resolve, reject) => {
        let key = '';
        const onData = (b: Buffer) => {
          for (const ch of b.toString('utf8')) {
            if (ch === '\r' || ch === '\n' || ch === '\u0004') {
              stdin.off('data', onData);
              resolve(key);
              return;
            }
            if (ch === '\u0003') {
              stdin.off('data', onData);
              reject(new ExitError('', 130));
              return;
            }
            key = ch === '\u007f' || ch === '\b' ? key.slice(0, -1) : key + ch;
          }
        };
        stdin.on('data', onData);
        stdin.resume();
      });
    } finally {
      stdin.setRawMode(false);
      stdin.pause();
      ctx.io.stdout.write('\n');
    }
  }
  let text = '';
  for await (const c of ctx.io.stdin as AsyncIterable<Buffer>) {
    text += Buffer.from(c).toString('utf8');
    if (text.includes('\n')) break;
  }
  return text.split('\n')[0]!.trim();
}

export async function swarmUnlock(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, []);
  if (p.positionals.length)
    throw new UsageError('"flotilla swarm unlock" accepts no arguments.\nUsage:  flotilla swarm unlock');
  const info = await ctx.client.json<{ Swarm: { LocalNodeState?: string } }>('GET', '/info');
  const state = info.Swarm.LocalNodeState ?? 'inactive';
  if (state === 'inactive') throw new ExitError('Error: This node is not part of a swarm', 1);
  if (state !== 'locked') throw new ExitError('Error: swarm is not locked', 1);
  const key = await readKey(ctx, 'Please enter unlock key: ');
  await ctx.client.call('POST', '/swarm/unlock', { body: { UnlockKey: key } });
  return 0;
}

export async function swarmUnlockKey(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, [
    { name: 'quiet', short: 'q', type: 'bool' },
    { name: 'rotate', type: 'bool' },
  ]);
  if (p.positionals.length)
    throw new UsageError(
      '"flotilla swarm unlock-key" accepts no arguments.\nUsage:  flotilla swarm unlock-key [OPTIONS]',
    );
  if (bool(p, 'rotate')) {
    const s = await ctx.client.json<{
      Version: { Index: number };
      Spec: { EncryptionConfig?: { AutoLockManagers?: boolean } };
    }>('GET', '/swarm');
    if (!s.Spec.EncryptionConfig?.AutoLockManagers)
      throw new ExitError('cannot rotate because autolock is not turned on', 1);
    await ctx.client.call('POST', '/swarm/update', {
      query: { version: s.Version.Index, rotateManagerUnlockKey: true },
      body: s.Spec,
    });
    if (!bool(p, 'quiet')) out(ctx, 'Successfully rotated manager unlock key.\n\n');
  }
  const { UnlockKey } = await ctx.client.json<{ UnlockKey: string }>('GET', '/swarm/unlockkey');
  if (!UnlockKey) throw new ExitError('no unlock key is set', 1);
  out(ctx, bool(p, 'quiet') ? UnlockKey : unlockInstructions(UnlockKey));
  return 0;
}
