/** One progress message, in the shape of docker's /images/create and /images/{name}/push JSON stream. */
export interface ProgressEvent {
  status: string;
  /** Short layer ID or tag the status is about. */
  id?: string;
  progressDetail?: { current?: number; total?: number };
}

export type ProgressFn = (ev: ProgressEvent) => void;

/** Docker CLI's plain rendering: "a3ed95caeb02: Pull complete". */
export function formatProgress(ev: ProgressEvent): string {
  return `${ev.id ? `${ev.id}: ` : ''}${ev.status}\n`;
}
