import pino from 'pino';
import { RoleReconciler, type NodeRole } from './role-reconciler';

const log = pino({ level: 'silent' });
const until = async (cond: () => boolean, ms = 2000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 2));
  }
};

/** A node whose role changes only on the attempts `succeedOn` allows (1-based). */
function node(start: NodeRole, succeedOn: (attempt: number, role: NodeRole) => boolean | Error) {
  const n = { role: start as NodeRole | null, attempts: [] as NodeRole[] };
  const r = new RoleReconciler({
    current: () => n.role,
    change: async (role) => {
      n.attempts.push(role);
      await new Promise((res) => setTimeout(res, 1));
      const ok = succeedOn(n.attempts.length, role);
      if (ok instanceof Error) throw ok;
      if (ok) n.role = role;
    },
    log,
    retryMs: 5,
    maxRetryMs: 20,
  });
  return { n, r };
}

describe('RoleReconciler', () => {
  it('one announcement is enough: an attempt that comes back without the role is retried until it does', async () => {
    // The certificate came back with the old role twice (a follower had not applied the demotion).
    const { n, r } = node('manager', (i) => i >= 3);
    r.want('worker');
    await until(() => n.role === 'worker');
    expect(n.attempts).toEqual(['worker', 'worker', 'worker']);
    await new Promise((res) => setTimeout(res, 50));
    expect(n.attempts.length).toBe(3);
    await r.stop();
  });

  it('retries after an attempt that throws (no manager answered)', async () => {
    const { n, r } = node('worker', (i) => (i === 1 ? new Error('unavailable') : true));
    r.want('manager');
    await until(() => n.role === 'manager');
    expect(n.attempts).toEqual(['manager', 'manager']);
    await r.stop();
  });

  it('does nothing when the node already has the announced role, and one attempt at a time', async () => {
    const { n, r } = node('worker', () => true);
    r.want('worker');
    await new Promise((res) => setTimeout(res, 20));
    expect(n.attempts).toEqual([]);
    r.want('manager');
    r.want('manager');
    r.want('manager');
    await until(() => n.role === 'manager');
    expect(n.attempts).toEqual(['manager']);
    await r.stop();
  });

  it('a new announcement during an attempt is followed at once (promote, then demote)', async () => {
    const { n, r } = node('worker', () => true);
    r.want('manager');
    r.want('worker'); // arrives while the promotion is under way
    await until(() => n.attempts.length === 2 && n.role === 'worker');
    expect(n.attempts).toEqual(['manager', 'worker']);
    await r.stop();
  });

  it('stop ends the retries and waits for the attempt under way', async () => {
    let finished = false;
    const { n, r } = node('manager', () => {
      finished = true;
      return false;
    });
    r.want('worker');
    await r.stop();
    expect(finished).toBe(true);
    const tried = n.attempts.length;
    await new Promise((res) => setTimeout(res, 50));
    expect(n.attempts.length).toBe(tried);
    expect(n.role).toBe('manager');
  });
});
