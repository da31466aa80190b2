// Pages and in-page recorders for the latency benchmark (./latency.ts).

/**
 * Runs in every page before its own scripts: records when a progress bar is first on screen
 * (`__progressAt`, ms since the navigation started), when the summary's URL link appears
 * (`__summaryAt`, epoch ms) and when the page knows the server is away (`__reconnecting`).
 * Also puts back a stored launch handed over in `window.name` ("restore:" + JSON of
 * [key, value]) before the app reads its storage: the page before the reload may write to
 * it until it is gone. A string, not a function: a bundler's helpers (tsx's `__name`) do not
 * exist in the page.
 */
export const RECORD_MILESTONES = `(() => {
  if (window.name.startsWith("restore:")) {
    const [key, value] = JSON.parse(window.name.slice(8));
    sessionStorage.setItem(key, value);
    window.name = "";
  }
  const check = () => {
    if (window.__progressAt === undefined && document.querySelector("[role=progressbar]")) {
      window.__progressAt = -1;
      requestAnimationFrame(() => { window.__progressAt = performance.now(); });
    }
    if (window.__summaryAt === undefined && document.querySelector(".summary a[href]")) {
      window.__summaryAt = Date.now();
    }
    if (window.__reconnecting === undefined && document.querySelector('.badge[data-status="reconnecting"]')) {
      window.__reconnecting = Date.now();
    }
  };
  new MutationObserver(check).observe(document, { subtree: true, childList: true, attributes: true });
})();`;

/** The floor of "reload → progress visible": static HTML with a progress bar and nothing else. */
export const MINIMAL_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Minimal</title></head>
<body><div role="progressbar" aria-valuenow="50" style="height:8px;background:#ccc"><div style="width:50%;height:8px;background:#36c"></div></div></body></html>`;

/**
 * The floor of "server listening again → summary": a WebSocket retried every 10 ms that
 * subscribes with the ticket and its last event id, and shows the URL as soon as the ready
 * snapshot comes. The same wire as the app (tRPC's subscription messages), nothing else.
 */
export function minimalClientPage(launch: { ticket: string; lastEventId: string }): string {
  const script = `
const launch = ${JSON.stringify(launch)};
let attempts = 0;
function attempt() {
  attempts++;
  if (attempts === 2) document.body.insertAdjacentHTML("beforeend", '<p class="badge" data-status="reconnecting">away</p>');
  const ws = new WebSocket("ws://" + location.host + "/trpc");
  ws.onopen = () => ws.send(JSON.stringify({ id: 1, method: "subscription", params: { path: "launch.follow", input: launch } }));
  ws.onmessage = (event) => {
    if (event.data === "PING") return ws.send("PONG");
    let message; try { message = JSON.parse(event.data); } catch { return; }
    const url = message.result && message.result.data && message.result.data.data && message.result.data.data.access && message.result.data.data.access.url;
    if (url) document.body.insertAdjacentHTML("beforeend", '<div class="summary"><a href="' + url + '">' + url + "</a></div>");
  };
  ws.onclose = () => { if (!document.querySelector(".summary")) setTimeout(attempt, 10); };
}
attempt();`;
  return `<!doctype html><html><head><meta charset="utf-8"><title>Minimal client</title></head><body><script>${script}</script></body></html>`;
}
