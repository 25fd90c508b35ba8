// Pure: the swarm as the page shows it, built from the Engine API's /nodes, /services and /tasks
// answers (Docker's JSON shapes, of which only the fields read here are typed).

export interface ApiNode {
  ID: string;
  Spec?: { Name?: string; Role?: string; Availability?: string };
  Description?: { Hostname?: string };
  Status?: { State?: string; Addr?: string };
  ManagerStatus?: { Leader?: boolean; Reachability?: string };
}

export interface ApiService {
  ID: string;
  Spec?: { Name?: string };
}

export interface ApiTask {
  ID: string;
  ServiceID?: string;
  Slot?: number;
  NodeID?: string;
  Spec?: { ContainerSpec?: { Image?: string } };
  Status?: { State?: string; Timestamp?: string; Err?: string };
  DesiredState?: string;
  ServiceAnnotations?: { Name?: string };
}

export interface TaskBox {
  id: string;
  /** "getstartedlab_web.3" like `service ps` (a global service's task: the service name alone). */
  name: string;
  service: string;
  slot: number | null;
  image: string;
  state: string;
  error: string | null;
}

export interface NodeColumn {
  id: string;
  hostname: string;
  role: string;
  availability: string;
  status: string;
  addr: string;
  leader: boolean;
  tasks: TaskBox[];
}

export interface VisualizerState {
  nodes: NodeColumn[];
  /** Tasks meant to run that no node has been given yet (pending: no node fits). */
  unassigned: TaskBox[];
}

export class UnexpectedAnswerError extends Error {
  constructor() {
    super('the Engine API answered /nodes, /services or /tasks with something that is not a list');
    this.name = 'UnexpectedAnswerError';
  }
}

/** A string field of an answer; anything else (a number, an object) is shown as text, never trusted. */
function text(value: unknown, fallback: string): string {
  if (typeof value === 'string' && value !== '') return value;
  if (value === undefined || value === null || value === '') return fallback;
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** The image as the user wrote it: swarm pins images by digest (name:tag@sha256:...). */
export function shortImage(image: string | undefined): string {
  if (!image) return '';
  const at = image.indexOf('@');
  return at >= 0 ? image.slice(0, at) : image;
}

function taskBox(t: ApiTask, serviceNames: Map<string, string>): TaskBox {
  const serviceId = text(t.ServiceID, '');
  const service = serviceNames.get(serviceId) ?? text(t.ServiceAnnotations?.Name, serviceId.slice(0, 12));
  const slot = typeof t.Slot === 'number' && t.Slot > 0 ? t.Slot : null;
  return {
    id: text(t.ID, ''),
    name: slot === null ? service : `${service}.${slot}`,
    service,
    slot,
    image: shortImage(text(t.Spec?.ContainerSpec?.Image, '')),
    state: text(t.Status?.State, 'unknown'),
    error: t.Status?.Err ? text(t.Status.Err, '') : null,
  };
}

const byName = (a: TaskBox, b: TaskBox): number =>
  a.service.localeCompare(b.service) || (a.slot ?? 0) - (b.slot ?? 0) || a.id.localeCompare(b.id);

/**
 * A column per node (managers first, then by hostname), in each a box per task the swarm wants
 * running there (desired state running: those starting show their state, the others are history
 * that `service ps` would show under them and the page leaves out).
 */
export function buildState(nodes: ApiNode[], services: ApiService[], tasks: ApiTask[]): VisualizerState {
  if (!Array.isArray(nodes) || !Array.isArray(services) || !Array.isArray(tasks)) throw new UnexpectedAnswerError();
  const serviceNames = new Map(services.map((s) => [text(s.ID, ''), text(s.Spec?.Name, text(s.ID, '').slice(0, 12))]));
  const columns: NodeColumn[] = nodes.map((n) => {
    const id = text(n.ID, '');
    return {
      id,
      hostname: text(n.Description?.Hostname, text(n.Spec?.Name, id.slice(0, 12))),
      role: text(n.Spec?.Role, 'unknown'),
      availability: text(n.Spec?.Availability, 'unknown'),
      status: text(n.Status?.State, 'unknown'),
      addr: text(n.Status?.Addr, ''),
      leader: n.ManagerStatus?.Leader === true,
      tasks: [],
    };
  });
  const byId = new Map(columns.map((c) => [c.id, c]));
  const unassigned: TaskBox[] = [];
  for (const t of tasks) {
    if (t.DesiredState !== 'running') continue;
    const column = t.NodeID ? byId.get(text(t.NodeID, '')) : undefined;
    (column ? column.tasks : unassigned).push(taskBox(t, serviceNames));
  }
  for (const c of columns) c.tasks.sort(byName);
  unassigned.sort(byName);
  const rank = (c: NodeColumn): number => (c.role === 'manager' ? 0 : 1);
  columns.sort((a, b) => rank(a) - rank(b) || a.hostname.localeCompare(b.hostname) || a.id.localeCompare(b.id));
  return { nodes: columns, unassigned };
}
