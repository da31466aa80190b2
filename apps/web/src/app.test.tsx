import { sessionStorageStore, type TicketRefusal, toStoredSnapshot } from "@launcher/client";
import { fireEvent, screen, within } from "@solidjs/testing-library";
import { describe, expect, it, vi } from "vitest";
import {
  boot,
  bootReady,
  ID,
  launch,
  settle,
  storedValues,
  useAppTestSetup,
} from "./testing/boot-app.tsx";
import { LauncherError, makeSnapshot, PASSWORD, SERVER } from "./testing/fake-client.ts";

useAppTestSetup();

describe("the launch form", () => {
  it("lists the templates with Scratchpad preselected; an unavailable one says so, briefly", async () => {
    await boot();
    const scratchpad = screen.getByRole("radio", { name: /Scratchpad/ });
    const jupyter = screen.getByRole("radio", { name: /Jupyter/ });
    expect((scratchpad as HTMLInputElement).checked).toBe(true);
    expect((jupyter as HTMLInputElement).disabled).toBe(true);
    expect(jupyter.closest("label")?.textContent).toContain("Unavailable here.");
    expect(screen.getByRole("option", { name: "fly (unavailable)" })).toBeTruthy();
    // Operators' diagnostics are not for users.
    expect(document.body.textContent).not.toContain("not on PATH");
    expect(document.body.textContent).not.toContain("FLY_API_TOKEN");
  });

  it("tells an admin why, behind a disclosure", async () => {
    await boot({ admin: true });
    const why = screen.getByText("Why is Jupyter unavailable?").closest("details")!;
    expect(why.open).toBe(false);
    expect(why.textContent).toContain("jupyter is not on PATH");
    const drivers = screen.getByText("Why are some unavailable?").closest("details")!;
    expect(drivers.open).toBe(false);
    expect(drivers.textContent).toContain("fly: FLY_API_TOKEN is not set");
  });

  it("takes the one user of a server without sign-in (no `me`) for its admin", async () => {
    await boot({ admin: "no me procedure" });
    expect(screen.getByText("Why is Jupyter unavailable?")).toBeTruthy();
  });

  it("says why when the launch cannot be prepared", async () => {
    const { fake } = await boot();
    fake.failPrepareWith(new LauncherError("rate_limited", "Too many requests"));
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

    fake.send("sealed-ticket-1", makeSnapshot(ID, "preparing"));
    fake.send("sealed-ticket-1", makeSnapshot(ID, "starting"));
    await settle();
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
    // What the store keeps: the ticket, its server, the last event id and the snapshot.
    const [entry] = await sessionStorageStore().list();
    expect(entry).toMatchObject({ server: SERVER, lastEventId: "2" });
    expect(entry?.snapshot?.phase).toBe("starting");
  });

  it("ends at a summary with the URL, the masked password, Reveal and Copy, and the duration", async () => {
    const writeText = vi.fn(async () => {});
    Object.assign(navigator, { clipboard: { writeText } });
    const { fake } = await boot();
    await launch();
    fake.send("sealed-ticket-1", makeSnapshot(ID, "checking"));
    fake.send("sealed-ticket-1", makeSnapshot(ID, "ready"));
    await settle();

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

  it("makes the instance URL a link only when it is a web address", async () => {
    const { fake } = await boot();
    await launch();
    const url = "javascript:alert(document.domain)//";
    const ready = makeSnapshot(ID, "ready", {
      access: { url, credentials: { password: PASSWORD } },
    });
    fake.send("sealed-ticket-1", ready);
    await settle();
    const card = screen.getByRole("region", { name: "Launches" });
    expect(within(card).queryByRole("link")).toBeNull();
    expect(screen.getByText(url).tagName).toBe("CODE");
  });

  it("forgets the ticket on Dismiss", async () => {
    await bootReady();
    fireEvent.click(screen.getByRole("button", { name: "Dismiss" }));
    await settle();
    expect(storedValues()).toEqual([]);
    expect(screen.queryByText("Ready")).toBeNull();
  });

  it("shows a failure with its step and log tail, tears down its remains, clears the ticket, and tries again", async () => {
    const { fake } = await boot();
    await launch();
    fake.send(
      "sealed-ticket-1",
      makeSnapshot(ID, "failed", { error: "exited with code 1", logTail: ["boom: EADDRINUSE"] }),
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

  it("keeps a failed launch's ticket while its remains cannot be removed, and removes them on demand", async () => {
    const { fake } = await boot();
    await launch();
    fake.failDestroyWith(new LauncherError("server_error", "The platform did not answer"));
    fake.send("sealed-ticket-1", makeSnapshot(ID, "failed", { error: "exited with code 1" }));
    await settle();
    expect(fake.calls.destroy).toEqual(["sealed-ticket-1"]);
    expect(storedValues().join()).toContain("sealed-ticket-1");
    expect(screen.getByText(/remains could not be removed yet/)).toBeTruthy();
    expect(screen.queryByText(/ticket has been removed/)).toBeNull();

    fake.failDestroyWith(undefined);
    fireEvent.click(screen.getByRole("button", { name: "Remove them" }));
    await settle();
    fake.send("sealed-ticket-1", makeSnapshot(ID, "failed", { error: "exited with code 1" }));
    await settle();
    expect(fake.calls.destroy).toEqual(["sealed-ticket-1", "sealed-ticket-1"]);
    expect(storedValues()).toEqual([]);
    expect(screen.getByText(/ticket has been removed/)).toBeTruthy();
    expect(screen.queryByText(/remains could not be removed yet/)).toBeNull();
  });

  it("shows Destroying… while the platform tears the instance down", async () => {
    const { fake } = await boot();
    await launch();
    fake.send("sealed-ticket-1", makeSnapshot(ID, "destroying"));
    await settle();
    expect(screen.getByText(/^Destroying…/)).toBeTruthy();
    expect(screen.queryByRole("progressbar")).toBeNull();
    expect(storedValues().join()).toContain("sealed-ticket-1");
    fake.send("sealed-ticket-1", makeSnapshot(ID, "destroyed"));
    await settle();
    expect(screen.getByText(/^Destroyed/)).toBeTruthy();
    expect(storedValues()).toEqual([]);
  });

  /** Launches, then the server refuses the ticket as `tokenCode`; returns what the alert says. */
  async function refusedAs(tokenCode: TicketRefusal) {
    const { fake } = await boot();
    await launch();
    fake.refuse("sealed-ticket-1", tokenCode);
    await settle();
    return { fake, alert: screen.getByRole("alert").textContent };
  }

  it.each(["expired", "malformed"] as const)(
    "drops a ticket refused as %s and says so instead of spinning",
    async (tokenCode) => {
      const { alert } = await refusedAs(tokenCode);
      expect(alert).toContain("can no longer be followed");
      expect(alert).toContain("removed from this tab");
      expect(screen.queryByRole("progressbar")).toBeNull();
      expect(storedValues()).toEqual([]);
    },
  );

  it.each(["unknown_key", "invalid", "not_yet_valid"] as const)(
    "keeps a ticket refused as %s, says what happened, and offers to try again",
    async (tokenCode) => {
      const { fake, alert } = await refusedAs(tokenCode);
      expect(alert).toContain("The ticket is kept in this tab");
      expect(storedValues().join()).toContain("sealed-ticket-1");
      fireEvent.click(screen.getByRole("button", { name: "Try again" }));
      await settle();
      expect(fake.followOf("sealed-ticket-1").input.ticket).toBe("sealed-ticket-1");
      expect(fake.follows).toHaveLength(2);
    },
  );

  it("destroys only after a confirmation", async () => {
    const { fake } = await bootReady();
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
    expect(screen.getByText(/^Destroyed/)).toBeTruthy();
    expect(storedValues()).toEqual([]);
  });

  it("keeps the ticket when a destroy is refused for a reason that may pass", async () => {
    const { fake } = await bootReady();
    fake.failDestroyWith(
      new LauncherError("ticket_refused", "Ticket refused: unknown_key", {
        tokenCode: "unknown_key",
      }),
    );
    fireEvent.click(screen.getByRole("button", { name: "Destroy…" }));
    fireEvent.click(screen.getByRole("button", { name: "Yes, destroy" }));
    await settle();
    expect(screen.getByRole("alert").textContent).toContain("Could not destroy the instance");
    expect(storedValues().join()).toContain("sealed-ticket-1");
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
    await settle();
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
    fake.send("stored-ticket", makeSnapshot(id, "creating"), "1");
    await settle();
    expect(screen.getByRole("progressbar").getAttribute("aria-valuenow")).toBe("50");
    fake.send("stored-ticket", makeSnapshot(id, "checking"));
    await settle();
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
    await settle();
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
