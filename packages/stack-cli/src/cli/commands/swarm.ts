// flotilla swarm init | join | join-token | leave | update | unlock | unlock-key
import { parseDuration } from '../../compose/units';
import { UsageError, bool, list, parseArgs, str } from '../args';
import { type Ctx, out } from '../io';
import { swarmCa } from './swarm-ca';
import { printUnlockKey, swarmUnlock, swarmUnlockKey } from './swarm-unlock';

function joinInstructions(role: 'worker' | 'manager', token: string, addr: string): string {
  return `To add a ${role} to this swarm, run the following command:\n\n    flotilla swarm join --token ${token} ${addr}\n\n`;
}

async function managerAddr(ctx: Ctx): Promise<string> {
  const info = await ctx.client.json<{ Swarm: { RemoteManagers?: { Addr: string }[] } }>('GET', '/info');
  return info.Swarm.RemoteManagers?.[0]?.Addr ?? '';
}

export async function swarm(ctx: Ctx, argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'ca':
      return swarmCa(ctx, rest);
    case 'init': {
      const p = parseArgs(rest, [
        { name: 'advertise-addr', type: 'string' },
        { name: 'listen-addr', type: 'string' },
        { name: 'default-addr-pool', type: 'list' },
        { name: 'default-addr-pool-mask-length', type: 'string' },
        { name: 'force-new-cluster', type: 'bool' },
        { name: 'autolock', type: 'bool' },
      ]);
      const mask = str(p, 'default-addr-pool-mask-length');
      if (mask !== undefined && !/^\d+$/.test(mask))
        throw new UsageError(
          `invalid argument "${mask}" for "--default-addr-pool-mask-length" flag: strconv.ParseUint: parsing "${mask}": invalid syntax`,
        );
      const pools = list(p, 'default-addr-pool').flatMap((v) => v.split(','));
      const nodeId = await ctx.client.json<string>('POST', '/swarm/init', {
        body: {
          ListenAddr: str(p, 'listen-addr') ?? '0.0.0.0:2377',
          AdvertiseAddr: str(p, 'advertise-addr') ?? '',
          ForceNewCluster: bool(p, 'force-new-cluster'),
          AutoLockManagers: bool(p, 'autolock'),
          ...(pools.length ? { DefaultAddrPool: pools } : {}),
          ...(mask !== undefined ? { SubnetSize: Number(mask) } : {}),
        },
      });
      const s = await ctx.client.json<{ JoinTokens: { Worker: string } }>('GET', '/swarm');
      out(ctx, `Swarm initialized: current node (${nodeId}) is now a manager.\n\n`);
      out(ctx, joinInstructions('worker', s.JoinTokens.Worker, await managerAddr(ctx)));
      out(
        ctx,
        "To add a manager to this swarm, run 'flotilla swarm join-token manager' and follow the instructions.\n",
      );
      if (bool(p, 'autolock')) {
        out(ctx, '');
        await printUnlockKey(ctx);
      }
      return 0;
    }
    case 'join': {
      const p = parseArgs(rest, [
        { name: 'token', type: 'string' },
        { name: 'advertise-addr', type: 'string' },
        { name: 'listen-addr', type: 'string' },
      ]);
      if (p.positionals.length !== 1)
        throw new UsageError(
          '"flotilla swarm join" requires exactly 1 argument.\nUsage:  flotilla swarm join [OPTIONS] HOST:PORT',
        );
      const token = str(p, 'token');
      if (!token)
        throw new UsageError('--token is required: get it with "flotilla swarm join-token worker" on a manager');
      await ctx.client.call('POST', '/swarm/join', {
        body: {
          RemoteAddrs: p.positionals,
          JoinToken: token,
          ListenAddr: str(p, 'listen-addr') ?? '0.0.0.0:2377',
          AdvertiseAddr: str(p, 'advertise-addr') ?? '',
        },
      });
      const info = await ctx.client.json<{ Swarm: { ControlAvailable: boolean } }>('GET', '/info');
      out(ctx, `This node joined a swarm as a ${info.Swarm.ControlAvailable ? 'manager' : 'worker'}.`);
      return 0;
    }
    case 'join-token': {
      const p = parseArgs(rest, [
        { name: 'quiet', short: 'q', type: 'bool' },
        { name: 'rotate', type: 'bool' },
      ]);
      const role = p.positionals[0];
      if (p.positionals.length !== 1 || (role !== 'worker' && role !== 'manager'))
        throw new UsageError('"flotilla swarm join-token" requires exactly 1 argument: worker or manager.');
      if (bool(p, 'rotate')) {
        const s = await ctx.client.json<{ Version: { Index: number } }>('GET', '/swarm');
        await ctx.client.call('POST', '/swarm/update', {
          query: { version: s.Version.Index, [role === 'worker' ? 'rotateWorkerToken' : 'rotateManagerToken']: true },
          body: {},
        });
        if (!bool(p, 'quiet')) out(ctx, `Successfully rotated ${role} join token.\n`);
      }
      const s = await ctx.client.json<{ JoinTokens: { Worker: string; Manager: string } }>('GET', '/swarm');
      const token = role === 'worker' ? s.JoinTokens.Worker : s.JoinTokens.Manager;
      if (bool(p, 'quiet')) out(ctx, token);
      else out(ctx, joinInstructions(role, token, await managerAddr(ctx)));
      return 0;
    }
    case 'leave': {
      const p = parseArgs(rest, [{ name: 'force', short: 'f', type: 'bool' }]);
      await ctx.client.call('POST', '/swarm/leave', { query: { force: bool(p, 'force') } });
      out(ctx, 'Node left the swarm.');
      return 0;
    }
    case 'update': {
      const p = parseArgs(rest, [
        { name: 'task-history-limit', type: 'string' },
        { name: 'cert-expiry', type: 'string' },
        { name: 'autolock', type: 'bool' },
      ]);
      const s = await ctx.client.json<{
        Version: { Index: number };
        Spec: {
          Orchestration?: Record<string, unknown>;
          CAConfig?: Record<string, unknown>;
          EncryptionConfig?: { AutoLockManagers?: boolean };
        };
      }>('GET', '/swarm');
      const spec = { ...s.Spec };
      const limit = str(p, 'task-history-limit');
      if (limit !== undefined) {
        if (!/^-?\d+$/.test(limit))
          throw new UsageError(
            `invalid argument "${limit}" for "--task-history-limit" flag: strconv.ParseInt: parsing "${limit}": invalid syntax`,
          );
        spec.Orchestration = { ...spec.Orchestration, TaskHistoryRetentionLimit: Number(limit) };
      }
      const expiry = str(p, 'cert-expiry');
      if (expiry !== undefined) {
        let ns: number;
        try {
          ns = parseDuration(expiry);
        } catch (e) {
          throw new UsageError(`invalid argument "${expiry}" for "--cert-expiry" flag: ${(e as Error).message}`);
        }
        spec.CAConfig = { ...spec.CAConfig, NodeCertExpiry: ns };
      }
      const wasLocked = !!s.Spec.EncryptionConfig?.AutoLockManagers;
      const autolock = p.flags.autolock === undefined ? wasLocked : bool(p, 'autolock');
      spec.EncryptionConfig = { ...spec.EncryptionConfig, AutoLockManagers: autolock };
      await ctx.client.call('POST', '/swarm/update', { query: { version: s.Version.Index }, body: spec });
      out(ctx, 'Swarm updated.');
      if (autolock && !wasLocked) await printUnlockKey(ctx);
      return 0;
    }
    case 'unlock':
      return swarmUnlock(ctx, rest);
    case 'unlock-key':
      return swarmUnlockKey(ctx, rest);
    default:
      throw new UsageError(
        sub
          ? `flotilla swarm: '${sub}' is not a flotilla command.`
          : 'Usage:  flotilla swarm COMMAND\n\nCommands:\n  ca          Display and rotate the root CA\n  init        Initialize a swarm\n  join        Join a swarm as a node\n  join-token  Manage join tokens\n  leave       Leave the swarm\n  unlock      Unlock swarm\n  unlock-key  Manage the unlock key\n  update      Update the swarm',
      );
  }
}
