import { sessionStorageStore, toStoredSnapshot } from "@launcher/client";
import { cleanup, fireEvent, render, screen, within } from "@solidjs/testing-library";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { App } from "./app.tsx";
import { LaunchError, makeFakeApi, makeSnapshot, PASSWORD } from "./testing/fake-api.ts";

/** Lets pending promises settle, without waiting on real time. */
const settle = () => vi.advanceTimersByTimeAsync(0);

async function boot(initial = sessionStorageStore()) {
  const fake = makeFakeApi();
  const store = sessionStorageStore();
  const launches = await initial.list();
  const view = render(() => <App api={fake.api} store={store} initial={launches} />);
  await settle();
  return { fake, store, view };
}

async function launch() {
  fireEvent.click(screen.getByRole("button", { name: "Launch" }));
  await settle();
}

const storedValues = () => Object.keys(sessionStorage).map((k) => sessionStorage.getItem(k) ?? "");

beforeEach(() => {
  vi.useFakeTimers({ now: 1_700_000_002_500 });
  sessionStorage.clear();
});
afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

describe("the launch form", () => {
  it("lists the templates with Scratchpad preselected and unavailable ones disabled with the reason", async () => {
    await boot();
    const scratchpad = screen.getByRole("radio", { name: /Scratchpad/ });
    const jupyter = screen.getByRole("radio", { name: /Jupyter/ });
    expect((scratchpad as HTMLInputElement).checked).toBe(true);
    expect((jupyter as HTMLInputElement).disabled).toBe(true);
    expect(screen.getByText(/jupyter is not on PATH/)).toBeTruthy();
  });

  it("says why when the launch cannot be prepared", async () => {
    const { fake } = await boot();
    fake.failPrepareWith(new LaunchError("Too many requests", "TOO_MANY_REQUESTS"));
    await launch();
    expect(screen.getByRole("alert").textContent).toContain("Too many requests");
    expect(storedValues()).toEqual([]);
  });
});

describe("a launch", () => {
  it("stores the ticket before it subscribes, then shows live progress", async () => {
    const { fake } = await boot();
    await launch();
    expect(fake.calls.prepare).toEqual([{ template: "scratchpad", driver: "local" }]);
    const follow = fake.followOf("sealed-ticket-1");
    expect(follow.storedAtSubscribe.join()).toContain("sealed-ticket-1");
    expect(follow.input.lastEventId).toBeUndefined();

    const id = "1".padStart(32, "0");
    fake.send("sealed-ticket-1", makeSnapshot(id, "preparing"));
    fake.send("sealed-ticket-1", makeSnapshot(id, "starting"));
    const bar = screen.getByRole("progressbar");
    expect(bar.getAttribute("aria-valuenow")).toBe("50");
    expect(screen.getByText(/Creating instance/).closest("li")?.dataset.state).toBe("done");
    expect(screen.getByText(/log line at starting/)).toBeTruthy();
    // The polite live region announces the phase.
    expect(document.querySelector("[aria-live=polite]")?.textContent).toBe("Scratchpad: Starting.");
    // The elapsed time ticks (createdAt was 2.5 s ago).
    expect(screen.getByText("Elapsed 2.5 s")).toBeTruthy();
    await vi.advanceTimersByTimeAsync(2_000);
    expect(screen.getByText("Elapsed 4.5 s")).toBeTruthy();
    // What the store keeps: the ticket, the last event id and the snapshot.
    const [entry] = await sessionStorageStore().list();
    expect(entry?.lastEventId).toBe("2");
    expect(entry?.snapshot?.phase).toBe("starting");
  });

  it("ends at a summary with the URL, the masked password, Reveal and Copy, and the duration", async () => {
    const writeText = vi.fn(async () => {});
    Object.assign(navigator, { clipboard: { writeText } });
    const { fake } = await boot();
    await launch();
    const id = "1".padStart(32, "0");
    fake.send("sealed-ticket-1", makeSnapshot(id, "checking"));
    fake.send("sealed-ticket-1", makeSnapshot(id, "ready"));

    expect(screen.getByText("Ready")).toBeTruthy();
    expect(screen.getByText(/launched in 4.0 s/)).toBeTruthy();
    const link = screen.getByRole("link", { name: "http://127.0.0.1:4100/" });
    expect(link.getAttribute("href")).toBe("http://127.0.0.1:4100/");
    // Masked: the password is nowhere in the page or in sessionStorage.
    expect(document.body.innerHTML).not.toContain(PASSWORD);
    expect(storedValues().join()).not.toContain(PASSWORD);

    fireEvent.click(screen.getByRole("button", { name: "Copy password" }));
    await settle();
    expect(writeText).toHaveBeenCalledWith(PASSWORD);
    expect(screen.getByText("Copied")).toBeTruthy();

    fireEvent.click(screen.getByRole("button", { name: "Reveal password" }));
    const summary = document.querySelector(".summary") as HTMLElement;
    expect(within(summary).getByText(PASSWORD)).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Hide password" }));
    expect(document.body.innerHTML).not.toContain(PASSWORD);
    // Not followed any more; the ticket stays until Dismiss.
    expect(fake.active()).toEqual([]);
    expect(storedValues().join()).toContain("sealed-ticket-1");
  });

  it("forgets the ticket on Dismiss", async () => {
    const { fake } = await boot();
    await launch();
    fake.send("sealed-ticket-1", makeSnapshot("1".padStart(32, "0"), "ready"));
    fireEvent.click(screen.getByRole("button", { name: "Dismiss" }));
    await settle();
    expect(storedValues()).toEqual([]);
    expect(screen.queryByText("Ready")).toBeNull();
  });

  it("shows a failure with its step and log tail, tears down its remains, clears the ticket, and tries again", async () => {
    const { fake } = await boot();
    await launch();
    const id = "1".padStart(32, "0");
    fake.send(
      "sealed-ticket-1",
      makeSnapshot(id, "failed", { error: "exited with code 1", logTail: ["boom: EADDRINUSE"] }),
    );
    await settle();
    expect(screen.getByText(/Launch failed/).parentElement?.textContent).toContain(
      "at step “Starting”. exited with code 1",
    );
    expect(screen.getByText("boom: EADDRINUSE")).toBeTruthy();
    expect(fake.calls.destroy).toEqual(["sealed-ticket-1"]);
    expect(storedValues()).toEqual([]);

    fireEvent.click(screen.getByRole("button", { name: "Try again" }));
    await settle();
    expect(fake.calls.prepare).toHaveLength(2);
    expect(screen.queryByText(/Launch failed/)).toBeNull();
    expect(fake.followOf("sealed-ticket-2")).toBeTruthy();
    expect(storedValues().join()).toContain("sealed-ticket-2");
  });

  it("clears a refused ticket and says so instead of spinning", async () => {
    const { fake } = await boot();
    await launch();
    fake
      .followOf("sealed-ticket-1")
      .handlers.onError(new LaunchError("Ticket refused: expired", "UNAUTHORIZED", "expired"));
    await settle();
    expect(screen.getByRole("alert").textContent).toContain("its ticket has expired");
    expect(screen.queryByRole("progressbar")).toBeNull();
    expect(storedValues()).toEqual([]);
  });

  it("destroys only after a confirmation", async () => {
    const { fake } = await boot();
    await launch();
    fake.send("sealed-ticket-1", makeSnapshot("1".padStart(32, "0"), "ready"));
    fireEvent.click(screen.getByRole("button", { name: "Destroy…" }));
    // The safe choice takes the focus; Cancel leaves everything as it was.
    await settle();
    expect(document.activeElement?.textContent).toBe("Cancel");
    fireEvent.click(screen.getByRole("button", { name: "Cancel" }));
    expect(fake.calls.destroy).toEqual([]);

    fireEvent.click(screen.getByRole("button", { name: "Destroy…" }));
    fireEvent.click(screen.getByRole("button", { name: "Yes, destroy" }));
    await settle();
    expect(fake.calls.destroy).toEqual(["sealed-ticket-1"]);
    expect(screen.getByText(/Destroyed/)).toBeTruthy();
    expect(storedValues()).toEqual([]);
  });

  it("runs several launches side by side, each with its own ticket", async () => {
    const { fake } = await boot();
    await launch();
    await launch();
    expect(screen.getAllByRole("progressbar")).toHaveLength(2);
    expect(fake.active().map((f) => f.input.ticket)).toEqual([
      "sealed-ticket-1",
      "sealed-ticket-2",
    ]);
    fake.send("sealed-ticket-2", makeSnapshot("2".padStart(32, "0"), "ready"));
    expect(screen.getAllByRole("progressbar")).toHaveLength(1);
    expect(screen.getByText("Ready")).toBeTruthy();
    expect(storedValues()).toHaveLength(2);
  });
});

describe("after a refresh", () => {
  it("shows the stored launch at once and resumes from the stored event id", async () => {
    const id = "a".repeat(32);
    await sessionStorageStore().put({
      id,
      ticket: "stored-ticket",
      template: "scratchpad",
      storedAt: 1,
      lastEventId: "2",
      snapshot: toStoredSnapshot(makeSnapshot(id, "starting")),
    });
    sessionStorage.setItem("launcher:junk", "{not json");
    sessionStorage.setItem("other-app", "hello");
    const { fake } = await boot();
    // The first render already has the progress: no flash of an empty form.
    expect(screen.getByRole("progressbar").getAttribute("aria-valuenow")).toBe("50");
    const follow = fake.followOf("stored-ticket");
    expect(follow.input).toEqual({ ticket: "stored-ticket", lastEventId: "2" });

    // An older snapshot is never shown again.
    follow.handlers.onData(makeSnapshot(id, "creating"), "1");
    expect(screen.getByRole("progressbar").getAttribute("aria-valuenow")).toBe("50");
    fake.send("stored-ticket", makeSnapshot(id, "checking"));
    expect(screen.getByRole("progressbar").getAttribute("aria-valuenow")).toBe("83");
  });

  it("shows a stored summary and gets the credentials from the resent terminal snapshot", async () => {
    const id = "b".repeat(32);
    const ready = makeSnapshot(id, "ready");
    await sessionStorageStore().put({
      id,
      ticket: "ready-ticket",
      template: "scratchpad",
      storedAt: 1,
      lastEventId: "4",
      snapshot: toStoredSnapshot(ready),
    });
    const { fake } = await boot();
    expect(screen.getByText("Ready")).toBeTruthy();
    expect(screen.getByText(/Fetching the address/)).toBeTruthy();
    fake.send("ready-ticket", ready);
    expect(screen.getByRole("link", { name: "http://127.0.0.1:4100/" })).toBeTruthy();
    expect(fake.active()).toEqual([]);
  });
});

describe("the connection badge", () => {
  it("says Connected, then Reconnecting… while the socket is down", async () => {
    const { fake } = await boot();
    fake.setConnection("connected");
    expect(screen.getByRole("status").textContent).toBe("Connected");
    fake.setConnection("reconnecting");
    expect(screen.getByRole("status").textContent).toBe("Reconnecting…");
  });
});
