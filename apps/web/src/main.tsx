import { createLauncherClient, sessionStorageStore } from "@launcher/client";
import { render } from "solid-js/web";
import { App } from "./app.tsx";
import "./styles.css";

const store = sessionStorageStore();
// Read the stored launches before the first paint, so a refresh shows them at once, from what
// was stored, while the socket is still opening.
const initial = await store.list();
// Requests wait for the first frame, so that a reload paints the stored launches before any
// request (or the server's answer to it) takes the CPU. A hidden tab paints no frame: not there.
const painted = new Promise((resolve) => {
  if (document.hidden) resolve(0);
  document.addEventListener("visibilitychange", resolve, { once: true });
  requestAnimationFrame(() => setTimeout(resolve));
});
// The socket opens at once and stays: the first launch does not wait for a handshake.
const client = createLauncherClient({
  url: location.origin,
  lazy: false,
  fetch: (input, init) => painted.then(() => fetch(input, init)),
});
render(
  () => <App client={client} store={store} initial={initial} />,
  document.getElementById("root")!,
);
