// What the App's component tests share: a fake clock, a clean sessionStorage, the page booted
// on a fake client as main.tsx boots it, and the first launch from the form.
import { sessionStorageStore } from "@launcher/client";
import { cleanup, fireEvent, render, screen } from "@solidjs/testing-library";
import { afterEach, beforeEach, vi } from "vitest";
import { App } from "../app.tsx";
import type { InstanceEntry } from "../lib/types.ts";
import { makeFakeClient, makeSnapshot } from "./fake-client.ts";

/** The time the tests run at (2.5 s after the fake launches' `createdAt`). */
export const NOW = 1_700_000_002_500;
/** The id of the first launch a fake client prepares. */
export const ID = "1".padStart(32, "0");

/** Lets pending promises settle, without waiting on real time. */
export const settle = () => vi.advanceTimersByTimeAsync(0);

/** Every value in sessionStorage. */
export const storedValues = () =>
  Object.keys(sessionStorage).map((k) => sessionStorage.getItem(k) ?? "");

/** Each test starts at {@link NOW} on fake timers with an empty sessionStorage. */
export function useAppTestSetup() {
  beforeEach(() => {
    vi.useFakeTimers({ now: NOW });
    sessionStorage.clear();
  });
  afterEach(() => {
    cleanup();
    vi.useRealTimers();
  });
}

/** Renders the App on a fake client with what sessionStorage holds, as a page load does. */
export async function boot(
  options: Parameters<typeof makeFakeClient>[0] = {},
  listed: InstanceEntry[] = [],
) {
  const fake = makeFakeClient(options);
  fake.setInstances(listed);
  const store = sessionStorageStore();
  const launches = await store.list();
  render(() => <App client={fake.client} store={store} initial={launches} />);
  await settle();
  return { fake, store };
}

/** Presses Launch (the preselected template) and lets the launch start. */
export async function launch() {
  fireEvent.click(screen.getByRole("button", { name: "Launch" }));
  await settle();
}

/** Boots, launches, and brings the first launch to its summary. */
export async function bootReady(options: Parameters<typeof makeFakeClient>[0] = {}) {
  const booted = await boot(options);
  await launch();
  booted.fake.send("sealed-ticket-1", makeSnapshot(ID, "ready"));
  await settle();
  return booted;
}
