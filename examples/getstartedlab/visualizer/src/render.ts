// Pure: the one HTML page. A column per node, a box per task; the page reloads itself.
import { type NodeColumn, type TaskBox, type VisualizerState } from './state';

export interface PageInput {
  /** null when the Engine API could not be read; `error` then says why. */
  state: VisualizerState | null;
  error?: string;
  refreshSeconds: number;
  /** Where the API was read (shown at the bottom, and in the error message). */
  source: string;
  now: Date;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A stable colour per service, so its replicas are easy to pick out across the columns. */
export function serviceHue(service: string): number {
  let h = 0;
  for (const ch of service) h = (h * 31 + ch.charCodeAt(0)) % 360;
  return h;
}

function renderTask(t: TaskBox): string {
  const err = t.error ? `<div class="err">${escapeHtml(t.error)}</div>` : '';
  return (
    `<div class="task state-${escapeHtml(t.state)}" style="border-left-color:hsl(${serviceHue(t.service)},60%,45%)" title="${escapeHtml(t.id)}">` +
    `<div class="name">${escapeHtml(t.name)}</div>` +
    `<div class="image">${escapeHtml(t.image)}</div>` +
    `<div class="state">${escapeHtml(t.state)}</div>${err}</div>`
  );
}

function renderNode(n: NodeColumn): string {
  const leader = n.leader ? ' <span class="leader" title="manager leader">&#9733; Leader</span>' : '';
  const tasks = n.tasks.length ? n.tasks.map(renderTask).join('') : '<div class="none">no tasks</div>';
  return (
    `<section class="node status-${escapeHtml(n.status)}" data-hostname="${escapeHtml(n.hostname)}">` +
    `<header><h2>${escapeHtml(n.hostname)}${leader}</h2>` +
    `<div class="meta">${escapeHtml(n.role)} &middot; ${escapeHtml(n.availability)} &middot; ${escapeHtml(n.status)}${n.addr ? ` &middot; ${escapeHtml(n.addr)}` : ''}</div></header>` +
    `${tasks}</section>`
  );
}

const STYLE = `body{font-family:sans-serif;margin:0;background:#f4f6f8;color:#222}
h1{font-size:1.2em;margin:0;padding:.6em 1em;background:#24323f;color:#fff}
main{display:flex;gap:1em;padding:1em;align-items:flex-start;overflow-x:auto}
.node{background:#fff;border-radius:6px;box-shadow:0 1px 3px #0003;min-width:14em;padding:.6em}
.node h2{font-size:1.05em;margin:0}.meta{font-size:.8em;color:#666;margin-bottom:.5em}
.status-down,.status-disconnected,.status-unknown{opacity:.55}
.leader{color:#c80;font-size:.85em}
.task{border:1px solid #ddd;border-left:6px solid #888;border-radius:4px;padding:.35em .5em;margin:.35em 0;font-size:.85em}
.task .name{font-weight:bold}.task .image{color:#555}.task .state{color:#070}
.task:not(.state-running) .state{color:#a60}.err{color:#b00}
.none{color:#999;font-size:.85em}.error{margin:1em;padding:1em;background:#fdd;border:1px solid #b00;border-radius:6px}
footer{font-size:.75em;color:#777;padding:0 1em 1em}`;

export function renderPage(input: PageInput): string {
  const { state, refreshSeconds, source, now } = input;
  let body: string;
  if (!state) {
    body =
      `<div class="error"><b>Cannot read the swarm from the Engine API at ${escapeHtml(source)}:</b> ${escapeHtml(input.error ?? 'unknown error')}<br/>` +
      `The page tries again every ${refreshSeconds} s. The visualizer needs the manager's API socket mounted into its container, on a swarm manager.</div>`;
  } else {
    const pending = state.unassigned.length
      ? `<section class="node" data-hostname=""><header><h2>unassigned</h2><div class="meta">tasks no node has taken yet</div></header>${state.unassigned.map(renderTask).join('')}</section>`
      : '';
    body = `<main>${state.nodes.map(renderNode).join('')}${pending}</main>`;
  }
  return (
    `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><meta http-equiv="refresh" content="${refreshSeconds}">` +
    `<title>flotilla visualizer</title><style>${STYLE}</style></head>` +
    `<body><h1>flotilla visualizer</h1>${body}` +
    `<footer>${escapeHtml(source)} &middot; ${escapeHtml(now.toISOString())} &middot; refreshes every ${refreshSeconds} s</footer></body></html>\n`
  );
}
