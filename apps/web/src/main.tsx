import { sessionStorageStore } from "@launcher/client";
import { render } from "solid-js/web";
import { App } from "./app.tsx";
import { makeTrpcApi } from "./lib/trpc-api.ts";
import "./styles.css";

const store = sessionStorageStore();
// Read the stored launches before the first paint, so a refresh shows them at once.
const initial = await store.list();
render(
  () => <App api={makeTrpcApi()} store={store} initial={initial} />,
  document.getElementById("root")!,
);
