import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer, type TestServer, waitFor } from "@launcher/testing";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { basicLogin, instanceMonitors, runCli, spawnCli } from "./helpers.ts";

let server: TestServer;
let xdg: string;
let env: Record<string, string>;
const stateDir = () => join(xdg, "launcher");
const ticketFiles = async () =>
  (await readdir(stateDir()).catch(() => [] as string[])).filter((f) => f.endsWith(".json"));

beforeAll(async () => {
  server = await startServer();
}, 30_000);
afterAll(async () => {
  await server?.dispose();
});
beforeEach(async () => {
  xdg = await mkdtemp(join(tmpdir(), "launcher-cli-xdg-"));
  env = { XDG_STATE_HOME: xdg, LAUNCHER_URL: server.url };
});
afterEach(async () => {
  await rm(xdg, { recursive: true, force: true });
});

/** Launches Scratchpad to ready, then rewrites its kept ticket; returns the ticket's file. */
async function launchThenChangeTicket(change: (ticket: string) => string): Promise<string> {
  expect((await runCli(["launch", "scratchpad"], env)).code).toBe(0);
  const [file] = await ticketFiles();
  const path = join(stateDir(), file!);
  const stored = JSON.parse(await readFile(path, "utf8"));
  stored.launch.ticket = change(stored.launch.ticket);
  await writeFile(path, JSON.stringify(stored));
  return file!;
}

describe("launcher launch", () => {
  it("launches scratchpad to ready; the printed password logs in", async () => {
    const { code, stdout } = await runCli(["launch", "scratchpad"], env);
    expect(code).toBe(0);
    expect(stdout).toContain("Ready: scratchpad");
    const url = /URL:\s+(\S+)/.exec(stdout)?.[1];
    const password = /password:\s+(\S+)/.exec(stdout)?.[1];
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(await basicLogin(url!, password!)).toBe(200);
    expect(await basicLogin(url!, `${password}x`)).toBe(401);
  }, 60_000);

  it("keeps the ticket in a 0600 file in a 0700 dir, with no plaintext secret", async () => {
    const { code, stdout } = await runCli(["launch", "scratchpad"], env);
    expect(code).toBe(0);
    const [file] = await ticketFiles();
    expect((await stat(join(stateDir(), file!))).mode & 0o777).toBe(0o600);
    expect((await stat(stateDir())).mode & 0o777).toBe(0o700);
    const password = /password:\s+(\S+)/.exec(stdout)?.[1];
    expect(await readFile(join(stateDir(), file!), "utf8")).not.toContain(password);
  }, 60_000);

  it("--json prints only JSON snapshots, line by line, ending ready with access", async () => {
    const { code, stdout } = await runCli(["launch", "scratchpad", "--json"], env);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split("\n");
    const snapshots = lines.map((line) => JSON.parse(line));
    expect(snapshots[0].phase).toBe("preparing");
    expect(snapshots.at(-1).phase).toBe("ready");
    expect(snapshots.at(-1).access.credentials.password).toMatch(/^[\w-]{16,}$/);
    const versions = snapshots.map((s) => s.version);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
  }, 60_000);

  it("after a kill mid-launch, `follow` reaches ready with no second instance", async () => {
    const monitorsBefore = await instanceMonitors(server.stateDir);
    const pid = server.pid!;
    const run = spawnCli(["launch", "scratchpad"], env);
    await waitFor(() => run.stdout().includes("phase: preparing"), "the first snapshot");
    // Hold the server so that the launch cannot finish before the CLI dies.
    process.kill(pid, "SIGSTOP");
    run.child.kill("SIGKILL");
    await run.exited;
    process.kill(pid, "SIGCONT");
    expect(await ticketFiles()).toHaveLength(1);

    const { code, stdout } = await runCli(["follow"], env);
    expect(code).toBe(0);
    expect(stdout).toContain("Ready: scratchpad");
    expect(await instanceMonitors(server.stateDir)).toBe(monitorsBefore + 1);
  }, 60_000);

  it("Ctrl-C stops following and keeps the ticket", async () => {
    const pid = server.pid!;
    const run = spawnCli(["launch", "scratchpad"], env);
    await waitFor(() => run.stdout().includes("phase: preparing"), "the first snapshot");
    process.kill(pid, "SIGSTOP");
    try {
      run.child.kill("SIGINT");
      expect(await run.exited).toBe(130);
    } finally {
      process.kill(pid, "SIGCONT");
    }
    expect(run.stderr()).toContain("launcher follow");
    expect(await ticketFiles()).toHaveLength(1);
  }, 60_000);
});

describe("launcher follow, destroy, dismiss, list", () => {
  it("follows a finished launch again and shows the summary; destroy removes the ticket", async () => {
    expect((await runCli(["launch", "scratchpad"], env)).code).toBe(0);
    const [file] = await ticketFiles();
    const id = file!.replace(".json", "");
    const again = await runCli(["follow", id.slice(0, 8)], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("password:");

    const listed = await runCli(["list", "--json"], env);
    expect(JSON.parse(listed.stdout.trim())).toMatchObject({ id, phase: "ready" });

    const destroyed = await runCli(["destroy", id], env);
    expect(destroyed.code).toBe(0);
    expect(await ticketFiles()).toEqual([]);
  }, 60_000);

  it("dismiss forgets a ticket", async () => {
    expect((await runCli(["launch", "scratchpad"], env)).code).toBe(0);
    const [file] = await ticketFiles();
    const { code } = await runCli(["dismiss", file!.replace(".json", "")], env);
    expect(code).toBe(0);
    expect(await ticketFiles()).toEqual([]);
  }, 60_000);
});

describe("options", () => {
  it("the common options may come before the subcommand", async () => {
    const { code, stdout } = await runCli(["--server", server.url, "--json", "templates"], {
      XDG_STATE_HOME: xdg,
      LAUNCHER_URL: "http://127.0.0.1:9", // not this one: --server wins
    });
    expect(code).toBe(0);
    const list = JSON.parse(stdout);
    expect(list.templates.map((t: { id: string }) => t.id)).toContain("scratchpad");
  }, 30_000);
});

describe("exit codes", () => {
  it("2 for bad input, with one line on stderr and no stack trace", async () => {
    for (const args of [["launch"], ["nonsense"], ["follow", "abcdef"], ["launch", "nope"]]) {
      const { code, stderr } = await runCli(args, env);
      expect(code, args.join(" ")).toBe(2);
      expect(stderr.trim().split("\n"), args.join(" ")).toHaveLength(1);
      expect(stderr).not.toMatch(/\n\s+at /);
    }
  }, 30_000);

  it("2 when `follow` has several launches to choose from, listing them", async () => {
    expect((await runCli(["launch", "scratchpad"], env)).code).toBe(0);
    const [file] = await ticketFiles();
    const content = await readFile(join(stateDir(), file!), "utf8");
    const otherId = "f".repeat(32);
    const id = file!.replace(".json", "");
    await writeFile(join(stateDir(), `${otherId}.json`), content.replaceAll(id, otherId), {
      mode: 0o600,
    });
    const { code, stderr } = await runCli(["follow"], env);
    expect(code).toBe(2);
    expect(stderr).toContain(id);
    expect(stderr).toContain(otherId);
  }, 60_000);

  it("3 within 30 s when the server cannot be reached", async () => {
    const port = await new Promise<number>((resolvePort) => {
      const probe = createServer().listen(0, "127.0.0.1", () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolvePort(port));
      });
    });
    const started = Date.now();
    const { code, stderr } = await runCli(
      ["templates", "--server", `http://127.0.0.1:${port}`],
      env,
    );
    expect(code).toBe(3);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(stderr).toContain("Cannot reach");
  }, 40_000);

  it("4 for a ticket the server refuses as altered: it is kept, and the message says so", async () => {
    const file = await launchThenChangeTicket((ticket) => {
      const i = Math.floor(ticket.length / 2);
      return `${ticket.slice(0, i)}${ticket[i] === "A" ? "B" : "A"}${ticket.slice(i + 1)}`;
    });
    const { code, stderr } = await runCli(["follow"], env);
    expect(code).toBe(4);
    expect(stderr).toMatch(/ticket .* was refused by the server \(invalid\)/);
    expect(stderr).toContain("It is kept");
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(await ticketFiles()).toEqual([file]);
  }, 60_000);

  it("4 for a damaged ticket, which is removed", async () => {
    await launchThenChangeTicket((ticket) => `${ticket}=`);
    const { code, stderr } = await runCli(["follow"], env);
    expect(code).toBe(4);
    expect(stderr).toMatch(/refused by the server \(malformed\).* It is removed/);
    expect(await ticketFiles()).toEqual([]);
  }, 60_000);

  it("6 for plain http:// to another machine, unless --insecure", async () => {
    // 0.0.0.0 reaches this machine, but is not a loopback name: the rule applies.
    const other = server.url.replace("127.0.0.1", "0.0.0.0");
    const refused = await runCli(["templates", "--server", other], env);
    expect(refused.code).toBe(6);
    expect(refused.stderr).toContain("--insecure");
    const allowed = await runCli(["templates", "--server", other, "--insecure", "--json"], env);
    expect(allowed.code).toBe(0);
  }, 30_000);
});

describe("the server a launch belongs to", () => {
  it("is where `follow` goes without --server, whatever LAUNCHER_URL says", async () => {
    expect((await runCli(["launch", "scratchpad"], env)).code).toBe(0);
    const { code, stdout } = await runCli(["follow"], {
      ...env,
      LAUNCHER_URL: "http://127.0.0.1:9",
    });
    expect(code).toBe(0);
    expect(stdout).toContain("Ready: scratchpad");
  }, 60_000);

  it("5: its ticket is not sent to another server unless --force-server", async () => {
    expect((await runCli(["launch", "scratchpad"], env)).code).toBe(0);
    const [file] = await ticketFiles();
    const id = file!.replace(".json", "");
    await using other = await startServer();
    for (const command of [
      ["follow", id],
      ["destroy", id],
    ]) {
      const { code, stderr } = await runCli([...command, "--server", other.url], env);
      expect(code, command[0]).toBe(5);
      expect(stderr).toContain("--force-server");
    }
    // Asked to, it sends it: the other server has other keys and refuses it; it is kept.
    const forced = await runCli(["follow", id, "--server", other.url, "--force-server"], env);
    expect(forced.code).toBe(4);
    expect(await ticketFiles()).toEqual([file]);
  }, 60_000);
});

describe("a server restart", () => {
  let own: TestServer;
  beforeEach(async () => {
    own = await startServer();
    env = { XDG_STATE_HOME: xdg, LAUNCHER_URL: own.url };
  }, 30_000);
  afterEach(async () => {
    await own?.dispose();
  });

  it("mid-follow: the CLI reconnects and resumes to ready", async () => {
    const run = spawnCli(["launch", "scratchpad"], env);
    await waitFor(() => run.stdout().includes("phase: preparing"), "the first snapshot");
    process.kill(own.pid!, "SIGSTOP");
    await own.kill("SIGKILL");
    await waitFor(() => run.stderr().includes("reconnecting"), "the CLI to notice");
    await own.restart();
    expect(await run.exited).toBe(0);
    expect(run.stdout()).toContain("Ready: scratchpad");
    expect(await instanceMonitors(own.stateDir)).toBe(1);
  }, 60_000);

  it("3 within 30 s when the server hangs mid-follow (it answers nothing, closes nothing)", async () => {
    const run = spawnCli(["launch", "scratchpad"], env);
    await waitFor(() => run.stdout().includes("phase: preparing"), "the first snapshot");
    process.kill(own.pid!, "SIGSTOP");
    const stopped = Date.now();
    try {
      expect(await run.exited).toBe(3);
      expect(Date.now() - stopped).toBeLessThan(30_000);
      expect(run.stderr()).toContain("Cannot reach");
    } finally {
      process.kill(own.pid!, "SIGCONT");
    }
  }, 60_000);
});
