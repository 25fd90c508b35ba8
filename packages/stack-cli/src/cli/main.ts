// The `flotilla` command: global flags, docker's command tree, and docker's error texts and exit
// codes. `main` is pure of process state (streams and env come in `io`) so tests call it in-process.
import { UsageError, parseArgs, str } from './args';
import type * as DaemonCmd from './commands/daemon';
import { CannotConnectError, Client, DEFAULT_HOST, DaemonError } from './client';
import { type Ctx, ExitError, flushed, type Io } from './io';

type Command = (ctx: Ctx, argv: string[]) => Promise<number>;

import type * as ContainersMod from './commands/containers';
import type * as EventsMod from './commands/events';
import type * as ImagesMod from './commands/images';
import type * as ObjectsMod from './commands/objects';
import type * as PruneMod from './commands/prune';
import type * as SwarmMod from './commands/swarm';
import type * as ServiceMod from './commands/service';
import type * as NodeMod from './commands/node';
import type * as StackMod from './commands/stack';
import type * as MachineMod from './commands/machine';
import type * as FileObjectsMod from './commands/file-objects';

// Command modules load on first use: `flotilla run` is timed against bare runc, and every
// module a process does not need costs start-up time.
/* eslint-disable @typescript-eslint/no-require-imports */
const containers = async () => require('./commands/containers') as typeof ContainersMod;
const images = async () => require('./commands/images') as typeof ImagesMod;
const objects = async () => require('./commands/objects') as typeof ObjectsMod;
const prunes = () => require('./commands/prune') as typeof PruneMod;
const swarmMod = async () => require('./commands/swarm') as typeof SwarmMod;
const serviceMod = async () => require('./commands/service') as typeof ServiceMod;
const nodeMod = async () => require('./commands/node') as typeof NodeMod;
const stackMod = async () => require('./commands/stack') as typeof StackMod;
const machineMod = async () => require('./commands/machine') as typeof MachineMod;
const fileObjectsMod = async () => require('./commands/file-objects') as typeof FileObjectsMod;
/* eslint-enable @typescript-eslint/no-require-imports */

const lazy =
  <M>(mod: () => Promise<M>, pick: (m: M) => Command): Command =>
  async (ctx, argv) =>
    pick(await mod())(ctx, argv);

const CONTAINER: Record<string, Command> = {
  run: lazy(containers, (m) => m.run),
  create: lazy(containers, (m) => m.create),
  start: lazy(containers, (m) => m.start),
  stop: lazy(containers, (m) => m.stop),
  restart: lazy(containers, (m) => m.restart),
  kill: lazy(containers, (m) => m.kill),
  rm: lazy(containers, (m) => m.rm),
  ls: lazy(containers, (m) => m.ps),
  list: lazy(containers, (m) => m.ps),
  ps: lazy(containers, (m) => m.ps),
  logs: lazy(containers, (m) => m.logs),
  exec: lazy(containers, (m) => m.exec),
  port: lazy(containers, (m) => m.port),
  stats: lazy(containers, (m) => m.stats),
  top: lazy(containers, (m) => m.top),
  wait: lazy(containers, (m) => m.wait),
  pause: lazy(containers, (m) => m.pause),
  unpause: lazy(containers, (m) => m.unpause),
  rename: lazy(containers, (m) => m.rename),
  attach: lazy(containers, (m) => m.attach),
  inspect: lazy(objects, (m) => m.containerInspect),
  prune: async (ctx, argv) => prunes().prune(ctx, 'container', argv),
};

const IMAGE: Record<string, Command> = {
  build: lazy(images, (m) => m.build),
  ls: lazy(images, (m) => m.images),
  list: lazy(images, (m) => m.images),
  rm: lazy(images, (m) => m.rmi),
  remove: lazy(images, (m) => m.rmi),
  tag: lazy(images, (m) => m.tag),
  save: lazy(images, (m) => m.save),
  load: lazy(images, (m) => m.load),
  import: lazy(images, (m) => m.importImage),
  pull: lazy(images, (m) => m.pull),
  push: lazy(images, (m) => m.push),
  history: lazy(images, (m) => m.history),
  inspect: lazy(objects, (m) => m.imageInspect),
  prune: async (ctx, argv) => prunes().prune(ctx, 'image', argv),
};

const eventsCmd: Command = async (ctx, argv) => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const m = require('./commands/events') as typeof EventsMod;
  return m.events(ctx, argv);
};

const TOP: Record<string, Command> = {
  version: lazy(objects, (m) => m.version),
  events: eventsCmd,
  info: lazy(objects, (m) => m.info),
  inspect: lazy(objects, (m) => m.inspect),
  network: lazy(objects, (m) => m.network),
  volume: lazy(objects, (m) => m.volume),
  login: lazy(images, (m) => m.login),
  logout: lazy(images, (m) => m.logout),
  images: IMAGE.ls!,
  rmi: IMAGE.rm!,
  build: IMAGE.build!,
  tag: IMAGE.tag!,
  save: IMAGE.save!,
  load: IMAGE.load!,
  import: IMAGE.import!,
  pull: IMAGE.pull!,
  push: IMAGE.push!,
  history: IMAGE.history!,
  run: CONTAINER.run!,
  create: CONTAINER.create!,
  start: CONTAINER.start!,
  stop: CONTAINER.stop!,
  restart: CONTAINER.restart!,
  kill: CONTAINER.kill!,
  rm: CONTAINER.rm!,
  ps: CONTAINER.ps!,
  logs: CONTAINER.logs!,
  exec: CONTAINER.exec!,
  port: CONTAINER.port!,
  stats: CONTAINER.stats!,
  top: CONTAINER.top!,
  wait: CONTAINER.wait!,
  pause: CONTAINER.pause!,
  unpause: CONTAINER.unpause!,
  rename: CONTAINER.rename!,
  attach: CONTAINER.attach!,
  container: async (ctx, argv) => group(ctx, 'container', CONTAINER, argv),
  system: async (ctx, argv) =>
    group(
      ctx,
      'system',
      { prune: (c, a) => prunes().prune(c, 'system', a), info: lazy(objects, (m) => m.info), events: eventsCmd },
      argv,
    ),
  image: async (ctx, argv) => group(ctx, 'image', IMAGE, argv),
  swarm: lazy(swarmMod, (m) => m.swarm),
  service: lazy(serviceMod, (m) => m.service),
  node: lazy(nodeMod, (m) => m.node),
  stack: lazy(stackMod, (m) => m.stack),
  machine: lazy(machineMod, (m) => m.machine),
  secret: lazy(fileObjectsMod, (m) => m.secret),
  config: lazy(fileObjectsMod, (m) => m.config),
  daemon: async (ctx, argv) => {
    // Only the daemon loads the engine's modules; client commands stay fast to start.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const m = require('./commands/daemon') as typeof DaemonCmd;
    return m.daemon(ctx, argv);
  },
};

const USAGE = `Usage:  flotilla [OPTIONS] COMMAND

A Docker-Swarm-style container orchestrator

Options:
  -H, --host string      Daemon socket to connect to (default ${DEFAULT_HOST}, or FLOTILLA_HOST)
  -v, --version          Print version information and quit

Management Commands:
  config      Manage Swarm configs
  container   Manage containers
  image       Manage images
  machine     Manage local machines (network namespaces with their own daemon)
  network     Manage networks
  node        Manage swarm nodes
  secret      Manage Swarm secrets
  service     Manage services
  stack       Manage stacks
  swarm       Manage swarm
  system      Manage flotilla (prune, info, events)
  volume      Manage volumes

Commands:
  attach   Attach local standard input, output, and error streams to a running container
  build    Build an image from a Dockerfile
  daemon   Run the flotilla daemon
  events   Get real time events from the server
  exec     Execute a command in a running container
  images   List images
  import   Import the contents of a tarball to create a filesystem image
  info     Display system-wide information
  inspect  Return low-level information on flotilla objects
  kill     Kill one or more running containers
  load     Load an image from a tar archive or STDIN
  login    Log in to a registry
  logs     Fetch the logs of a container
  pause    Pause all processes within one or more containers
  port     List port mappings or a specific mapping for the container
  ps       List containers
  pull     Download an image from a registry
  push     Upload an image to a registry
  rename   Rename a container
  restart  Restart one or more containers
  rm       Remove one or more containers
  rmi      Remove one or more images
  run      Create and run a new container from an image
  save     Save one or more images to a tar archive (streamed to STDOUT by default)
  start    Start one or more stopped containers
  stats    Display a live stream of container(s) resource usage statistics
  stop     Stop one or more running containers
  tag      Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE
  top      Display the running processes of a container
  unpause  Unpause all processes within one or more containers
  version  Show the flotilla version information
  wait     Block until one or more containers stop, then print their exit codes
`;

async function group(ctx: Ctx, name: string, table: Record<string, Command>, argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === '--help') {
    ctx.io.stdout.write(
      `Usage:  flotilla ${name} COMMAND\n\nCommands:\n${Object.keys(table)
        .map((k) => `  ${k}\n`)
        .join('')}`,
    );
    return sub ? 0 : 1;
  }
  const cmd = table[sub];
  if (!cmd) throw new UsageError(`flotilla ${name}: '${sub}' is not a flotilla command.`);
  if (wantsHelp(rest)) {
    ctx.io.stdout.write(commandHelp(name, [sub]));
    return 0;
  }
  return cmd(ctx, rest);
}

/** `--help` before the first positional (after it, it belongs to the container's command). */
function wantsHelp(args: string[]): boolean {
  for (const a of args) {
    if (a === '--help') return true;
    if (a === '--' || !a.startsWith('-')) return false;
  }
  return false;
}

function commandHelp(name: string, rest: string[]): string {
  const describe = (cmd: string) => new RegExp(`^ {2}${cmd} +(.+)$`, 'm').exec(USAGE)?.[1] ?? '';
  const sub = rest[0] && !rest[0].startsWith('-') ? rest[0] : undefined;
  const full = sub ? `${name} ${sub}` : name;
  return `\nUsage:  flotilla ${full} [OPTIONS]${sub ? '' : ' [ARGS...]'}\n\n${describe(sub ?? name) || describe(name)}\n\nOptions and arguments follow docker's: see 'docker ${full} --help'.\n`;
}

/** Run one CLI invocation; returns the exit code (never calls process.exit). */
/**
 * Runs one command. Returns once its output has left stdout's buffer as well: the bin exits
 * right after, and a slower reader (`flotilla save | flotilla load`) would lose the tail.
 */
export async function main(argv: string[], io: Io): Promise<number> {
  const code = await dispatch(argv, io);
  await flushed(io.stdout);
  return code;
}

async function dispatch(argv: string[], io: Io): Promise<number> {
  let globals;
  try {
    globals = parseArgs(
      argv,
      [
        { name: 'host', short: 'H', type: 'string' },
        { name: 'version', short: 'v', type: 'bool' },
        { name: 'help', type: 'bool' },
        { name: 'debug', short: 'D', type: 'bool' },
        { name: 'log-level', short: 'l', type: 'string' },
        { name: 'config', type: 'string' },
      ],
      { interspersed: false },
    );
  } catch (e) {
    io.stderr.write(`${(e as Error).message}\nSee 'flotilla --help'.\n`);
    return 125;
  }
  const [name, ...rest] = globals.positionals;
  const host = str(globals, 'host') ?? io.env.FLOTILLA_HOST ?? DEFAULT_HOST;
  const ctx: Ctx = { io, client: new Client(host), host };
  if (globals.flags.version && !name) {
    io.stdout.write('flotilla version 0.1.0\n');
    return 0;
  }
  if (!name || globals.flags.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  const cmd = TOP[name] as Command | undefined;
  if (cmd && wantsHelp(rest)) {
    io.stdout.write(commandHelp(name, rest));
    return 0;
  }
  if (!cmd) {
    io.stderr.write(`flotilla: '${name}' is not a flotilla command.\nSee 'flotilla --help'\n`);
    return 1;
  }
  try {
    return await cmd(ctx, rest);
  } catch (e) {
    if (e instanceof ExitError) {
      if (e.message) io.stderr.write(`${e.message}\n`);
      return e.code;
    }
    if (e instanceof UsageError) {
      io.stderr.write(`${e.message}\nSee 'flotilla ${name} --help'.\n`);
      return e.exitCode;
    }
    if (e instanceof CannotConnectError) {
      io.stderr.write(`${e.message}\n`);
      return 1;
    }
    if (e instanceof DaemonError) {
      io.stderr.write(`Error response from daemon: ${e.message}\n`);
      return 1;
    }
    io.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

/** The bin's entry: real process streams, exit with the code. */
export function runCli(): void {
  // A reader that went away (`flotilla ... | head -1`): end quietly like docker, which dies of SIGPIPE.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(141);
    throw e;
  });
  const io: Io = {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
    onSignal: (handler) => {
      const sigs: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];
      for (const s of sigs) process.on(s, handler);
      return () => sigs.forEach((s) => process.off(s, handler));
    },
  };
  main(process.argv.slice(2), io).then(
    (code) => {
      // The daemon keeps running until a signal; every other command ends here.
      if (code >= 0) {
        process.exitCode = code;
        process.exit(code);
      }
    },
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    },
  );
}

if (require.main === module) runCli();
