import { fireEvent, screen, within } from "@solidjs/testing-library";
import { describe, expect, it, vi } from "vitest";
import type { InstanceEntry } from "./lib/types.ts";
import {
  boot,
  ID,
  launch,
  NOW,
  settle,
  storedValues,
  useAppTestSetup,
} from "./testing/boot-app.tsx";
import { LauncherError, makeSnapshot, SERVER } from "./testing/fake-client.ts";

useAppTestSetup();

function entry(id: string, overrides: Partial<InstanceEntry> = {}): InstanceEntry {
  return {
    id,
    owner: "ada@example.org",
    template: "scratchpad",
    driver: "local",
    phase: "ready",
    createdAt: NOW - 5 * 60_000,
    expiresAt: NOW + (3 * 60 + 5) * 60_000,
    ...overrides,
  };
}

describe("the signed-in line", () => {
  it("names the user and links Sign out to /auth/logout and CLI token to /auth/token", async () => {
    await boot({ user: "ada@example.org" });
    const line = screen.getByText(/Signed in as/);
    expect(line.textContent).toContain("Signed in as ada@example.org");
    const out = within(line).getByRole("link", { name: "Sign out" });
    expect(out.getAttribute("href")).toBe(`${SERVER}/auth/logout`);
    const token = within(line).getByRole("link", { name: "CLI token" });
    expect(token.getAttribute("href")).toBe(`${SERVER}/auth/token`);
  });

  it("offers no Sign out to the one local user of a server without sign-in", async () => {
    await boot({ user: "local" });
    expect(screen.getByText(/Signed in as/).textContent).toContain("local");
    expect(screen.queryByRole("link", { name: "Sign out" })).toBeNull();
    expect(screen.queryByRole("link", { name: "CLI token" })).toBeNull();
  });

  it("offers Sign in instead of the launch form when the server wants a user", async () => {
    const { fake } = await boot({ user: null });
    expect(screen.getByRole("link", { name: "Sign in" }).getAttribute("href")).toBe(
      `${SERVER}/auth/login`,
    );
    expect(screen.getByText("Sign in to launch.")).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Launch" })).toBeNull();
    expect(screen.queryByText("My instances")).toBeNull();
    expect(fake.calls.list).toBe(0);
  });
});

describe("My instances", () => {
  it("lists the platforms' instances with template, driver, phase, age and expiry, and says where credentials are", async () => {
    await boot({ user: "ada@example.org" }, [
      entry("a".repeat(32)),
      entry("b".repeat(32), { phase: "failed", driver: "docker" }),
    ]);
    const panel = screen.getByRole("region", { name: "My instances" });
    const items = within(panel).getAllByRole("listitem");
    expect(items).toHaveLength(2);
    expect(items[0]?.textContent).toContain("Scratchpad");
    expect(items[0]?.textContent).toContain(
      "local · Ready · created 5 min ago · expires in 3 h 5 min",
    );
    expect(items[1]?.textContent).toContain("docker · Failed");
    expect(panel.textContent).toContain(
      "Credentials are shown only in the tab that launched the instance.",
    );
  });

  it("destroys one by id after a confirmation, then reads the list again", async () => {
    const { fake } = await boot({ user: "ada@example.org" }, [
      entry("a".repeat(32)),
      entry("b".repeat(32)),
    ]);
    const panel = screen.getByRole("region", { name: "My instances" });
    const [first] = within(panel).getAllByRole("listitem");
    fireEvent.click(within(first!).getByRole("button", { name: "Destroy…" }));
    const before = fake.calls.list;
    fireEvent.click(within(first!).getByRole("button", { name: "Yes, destroy" }));
    await settle();
    expect(fake.calls.destroyById).toEqual(["a".repeat(32)]);
    expect(fake.calls.list).toBe(before + 1);
    expect(within(panel).getAllByRole("listitem")).toHaveLength(1);
  });

  it("reads the list again every 30 s and when a launch ends", async () => {
    const { fake } = await boot({ user: "ada@example.org" });
    expect(fake.calls.list).toBe(1);
    expect(screen.getByText("None.")).toBeTruthy();
    fake.setInstances([entry("c".repeat(32))]);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(fake.calls.list).toBe(2);
    expect(screen.getByRole("region", { name: "My instances" }).textContent).toContain(
      "Scratchpad",
    );

    await launch();
    fake.send("sealed-ticket-1", makeSnapshot(ID, "starting"));
    await settle();
    expect(fake.calls.list).toBe(2);
    fake.send("sealed-ticket-1", makeSnapshot(ID, "ready"));
    await settle();
    expect(fake.calls.list).toBe(3);
  });
});

describe("the summary", () => {
  it("says when the instance expires, from the list entry with the same id", async () => {
    const { fake } = await boot({ user: "ada@example.org" });
    fake.setInstances([entry(ID, { expiresAt: NOW + 45 * 60_000 })]);
    await launch();
    fake.send("sealed-ticket-1", makeSnapshot(ID, "ready"));
    await settle();
    expect(screen.getByText("Ready")).toBeTruthy();
    expect(screen.getByText("The instance expires in 45 min.")).toBeTruthy();
  });
});

describe("a quota refusal", () => {
  /** Launches as Ada while `quota` is reached; returns the alert's text. */
  async function refusedBy(quota: { scope: "user" | "global"; limit: number; used: number }) {
    const { fake } = await boot({ user: "ada@example.org" });
    fake.failFollowWith(new LauncherError("forbidden", "Quota reached", { quota }));
    await launch();
    const text = screen.getByRole("alert").textContent ?? "";
    expect(storedValues().join()).toContain("sealed-ticket-1"); // the ticket is kept
    return { fake, text };
  }

  it("explains a user's quota, keeps the ticket, and Try again follows the same ticket", async () => {
    const { fake, text } = await refusedBy({ scope: "user", limit: 3, used: 3 });
    expect(text).toContain("You have 3 of 3 instances running. Destroy one, then try again.");

    fake.failFollowWith(undefined);
    fireEvent.click(screen.getByRole("button", { name: "Try again" }));
    await settle();
    expect(fake.calls.prepare).toHaveLength(1); // no new launch: the same ticket
    fake.send("sealed-ticket-1", makeSnapshot(ID, "ready"));
    await settle();
    expect(screen.getByText("Ready")).toBeTruthy();
  });

  it("words the global quota for everyone", async () => {
    const { text } = await refusedBy({ scope: "global", limit: 10, used: 10 });
    expect(text).toContain(
      "All users together have 10 of 10 instances running. Try again when one ends.",
    );
    expect(text).not.toContain("You have");
  });
});
