// The page of the tutorial's Flask app, byte for byte, so the lab's output matches the tutorial.

export const REDIS_DOWN = '<i>cannot connect to Redis, counter disabled</i>';

export interface PageInput {
  name: string;
  hostname: string;
  /** null when Redis could not be reached. */
  visits: number | null;
}

// Flask's format() does not escape; we do, because NAME comes from whoever runs the container.
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function renderPage({ name, hostname, visits }: PageInput): string {
  const shown = visits === null ? REDIS_DOWN : String(visits);
  return `<h3>Hello ${escapeHtml(name)}!</h3><b>Hostname:</b> ${escapeHtml(hostname)}<br/><b>Visits:</b> ${shown}`;
}
