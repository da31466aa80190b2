import type { ContainerInspectInfo } from "dockerode";
import { describe, expect, it } from "vitest";
import {
  describeInstance,
  type InstanceFacts,
  LOG_LINE_CHARS,
  LOG_TAIL_LINES,
  marksById,
  parseEngineTime,
  readMarks,
  VERSION,
} from "./container-observation.ts";
import { LABELS, markLabels } from "./container-spec.ts";
import { demuxLogLines } from "./demux-logs.ts";
import { listInstance, listLaunch } from "./instance-listing.ts";

const ID = "0123456789abcdef0123456789abcdef";
const labels = {
  [LABELS.id]: ID,
  [LABELS.port]: "8080",
  [LABELS.healthPath]: "/health",
  [LABELS.urlPath]: "/",
  [LABELS.timeout]: "30",
};
const info = (
  state: Partial<ContainerInspectInfo["State"]>,
  created = "2026-01-01T00:00:00.123456789Z",
) =>
  ({
    Id: "c1",
    Created: created,
    Config: { Labels: labels },
    State: {
      Status: "running",
      StartedAt: "0001-01-01T00:00:00Z",
      FinishedAt: "0001-01-01T00:00:00Z",
      ExitCode: 0,
      OOMKilled: false,
      Error: "",
      ...state,
    },
    NetworkSettings: { Ports: { "8080/tcp": [{ HostIp: "127.0.0.1", HostPort: "40001" }] } },
  }) as unknown as ContainerInspectInfo;

const started = "2026-01-01T00:00:01.5Z";
const facts = (more: Partial<InstanceFacts>): InstanceFacts => ({
  marks: {},
  logLines: [],
  publicHost: "127.0.0.1",
  ...more,
});
const readyMark = { at: Date.parse("2026-01-01T00:00:02Z"), containerId: "c1" };

describe("docker observations from the engine's state", () => {
  it("reads engine times to the millisecond and Go's zero time as unknown", () => {
    expect(parseEngineTime("2026-01-01T00:00:00.123456789Z")).toBe(
      Date.parse("2026-01-01T00:00:00.123Z"),
    );
    expect(parseEngineTime("0001-01-01T00:00:00Z")).toBeUndefined();
  });

  it("orders a launch's versions: pulling < creating < starting < checking < ready < failed < destroying < destroyed", () => {
    const running = info({ StartedAt: started });
    const versions = [
      describeInstance(facts({ early: { phase: "pulling", progress: 0, startedAt: 1 } })),
      describeInstance(facts({ early: { phase: "pulling", progress: 1, startedAt: 1 } })),
      describeInstance(facts({ early: { phase: "creating" } })),
      describeInstance(facts({ container: info({ Status: "created" }) })),
      describeInstance(facts({ container: running })),
      describeInstance(facts({ container: running, logLines: ["a", "b"] })),
      describeInstance(facts({ container: running, marks: { ready: readyMark } })),
      describeInstance(
        facts({
          container: info({
            Status: "exited",
            StartedAt: started,
            FinishedAt: "2026-01-01T00:00:09Z",
          }),
          marks: { ready: readyMark },
        }),
      ),
      describeInstance(facts({ container: running, marks: { destroyed: { at: 0 } } })),
      describeInstance(facts({ marks: { destroyed: { at: 0 } } })),
    ].map((o) => o.version);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(new Set(versions).size).toBe(versions.length);
  });

  it("is ready only with a ready mark for this very container, never from the clock", () => {
    const running = info({ StartedAt: started });
    const ready = describeInstance(facts({ container: running, marks: { ready: readyMark } }));
    expect(ready).toMatchObject({ phase: "ready", url: "http://127.0.0.1:40001/" });
    // A mark left by an earlier container of the same name does not count.
    const other = { ...readyMark, containerId: "c0" };
    expect(describeInstance(facts({ container: running, marks: { ready: other } })).phase).toBe(
      "checking",
    );
    // Long past the timeout, with no failed mark, it is still checking: only ensure decides.
    expect(describeInstance(facts({ container: running })).phase).toBe("checking");
    // Paused after ready (every probe would miss): still ready, same version.
    const paused = describeInstance(
      facts({
        container: info({ Status: "paused", StartedAt: started }),
        marks: { ready: readyMark },
      }),
    );
    expect(paused).toMatchObject({ phase: "ready", version: ready.version, url: ready.url });
  });

  it("reports a failed mark with its reason, after anything the container showed", () => {
    const running = info({ StartedAt: started });
    const checking = describeInstance(facts({ container: running, logLines: ["x"] }));
    const failed = describeInstance(
      facts({
        container: running,
        marks: { failed: { at: 5, reason: "The health check failed" } },
      }),
    );
    expect(failed).toMatchObject({ phase: "failed", error: "The health check failed" });
    expect(failed.version).toBeGreaterThan(checking.version);
    // Before any container (a pull that failed): failed, above every early version.
    const early = describeInstance(facts({ marks: { failed: { at: 1_000, reason: "no image" } } }));
    expect(early).toMatchObject({ phase: "failed", error: "no image" });
    expect(early.version).toBeGreaterThan(VERSION.creating);
  });

  it("says destroying while the container exists under a tombstone, destroyed once it is gone, and why", () => {
    const running = info({ StartedAt: started });
    const tombstone = { at: 1 };
    expect(
      describeInstance(facts({ container: running, marks: { destroyed: tombstone } })),
    ).toMatchObject({
      phase: "destroying",
    });
    expect(describeInstance(facts({ marks: { destroyed: tombstone } }))).toMatchObject({
      phase: "destroyed",
      message: "Destroyed",
    });
    const expired = describeInstance(facts({ marks: { destroyed: { at: 1, reason: "expired" } } }));
    expect(expired).toMatchObject({
      phase: "destroyed",
      message: expect.stringMatching(/expired/),
    });
  });

  it("cuts the log tail to the local driver's caps: 20 lines of at most 500 characters", () => {
    const long = "x".repeat(5000);
    const lines = Array.from({ length: 60 }, (_, i) => (i === 59 ? long : `line ${i}`));
    const o = describeInstance(facts({ container: info({ StartedAt: started }), logLines: lines }));
    expect(o.logTail).toHaveLength(LOG_TAIL_LINES);
    expect(o.logTail.every((line) => line.length <= LOG_LINE_CHARS)).toBe(true);
    expect(o.logTail.at(-1)).toBe("x".repeat(LOG_LINE_CHARS));
  });

  it("reads marks back from labelled volumes, by instance, ignoring look-alikes", () => {
    const volume = (name: string, l: Record<string, string>) => ({ Name: name, Labels: l });
    const other = "fedcba9876543210fedcba9876543210";
    const volumes = [
      volume(
        `launcher-${ID}-destroyed`,
        markLabels(ID, "destroyed", { [LABELS.reason]: "expired" }, 7),
      ),
      volume(`launcher-${ID}-ready`, markLabels(ID, "ready", { [LABELS.containerId]: "c1" }, 5)),
      volume(
        `launcher-${other}-failed`,
        markLabels(other, "failed", { [LABELS.reason]: "why" }, 6),
      ),
      // Named like a mark of ID but labelled for another instance: not ID's.
      volume(`launcher-${ID}-failed`, markLabels(other, "failed", {}, 6)),
    ];
    expect(readMarks(ID, volumes)).toEqual({
      destroyed: { at: 7, reason: "expired" },
      ready: { at: 5, containerId: "c1" },
    });
    const byId = marksById(volumes);
    expect(byId.get(other)).toEqual({ failed: { at: 6, reason: "why" } });
  });

  it("lists an instance with its owner, template and lifetime from its labels", () => {
    const container = {
      Id: "c1",
      State: "running",
      Created: 1_700_000_000,
      Labels: {
        ...labels,
        [LABELS.owner]: "ada@example.com",
        [LABELS.template]: "scratchpad",
        [LABELS.createdAt]: "1000",
        [LABELS.expiresAt]: "2000",
      },
    };
    expect(listInstance(container, { ready: readyMark })).toEqual({
      id: ID,
      owner: "ada@example.com",
      template: "scratchpad",
      phase: "ready",
      createdAt: 1000,
      expiresAt: 2000,
    });
    expect(listInstance(container, {})?.phase).toBe("checking");
    expect(listInstance({ ...container, State: "exited" }, {})?.phase).toBe("failed");
    expect(listInstance(container, { destroyed: { at: 1 } })?.phase).toBe("destroying");
    expect(
      listInstance({ ...container, Labels: { [LABELS.id]: "not-an-id" } }, {}),
    ).toBeUndefined();
  });

  it("lists a launch that has no container yet from its launch mark: preparing, or what its launcher knows, failed, and not once destroyed", () => {
    const record = {
      ...markLabels(ID, "launch", {}, 900),
      [LABELS.owner]: "ada@example.com",
      [LABELS.template]: "scratchpad",
      [LABELS.createdAt]: "1000",
      [LABELS.expiresAt]: "2000",
    };
    const launch = { at: 900, record };
    const info = { id: ID, owner: "ada@example.com", template: "scratchpad", createdAt: 1000 };
    expect(listLaunch({ launch })).toEqual({ ...info, phase: "preparing", expiresAt: 2000 });
    const pulling = { phase: "pulling", progress: 0.5, startedAt: 950 } as const;
    expect(listLaunch({ launch }, pulling)?.phase).toBe("pulling");
    expect(listLaunch({ launch, failed: { at: 5, reason: "no image" } }, pulling)?.phase).toBe(
      "failed",
    );
    expect(listLaunch({ launch, destroyed: { at: 5 } })).toBeUndefined();
    expect(listLaunch({ failed: { at: 5 } })).toBeUndefined();
    // Read back from its volume like any mark.
    const volumes = [{ Name: `launcher-${ID}-launch`, Labels: record }];
    expect(readMarks(ID, volumes)).toEqual({ launch: { at: 900, record } });
  });

  it("demultiplexes framed logs and passes raw TTY logs through", () => {
    const frame = (stream: number, text: string) => {
      const body = Buffer.from(text);
      const header = Buffer.alloc(8);
      header[0] = stream;
      header.writeUInt32BE(body.length, 4);
      return Buffer.concat([header, body]);
    };
    expect(demuxLogLines(Buffer.concat([frame(1, "one\ntw"), frame(2, "o\n")]))).toEqual([
      "one",
      "two",
    ]);
    expect(demuxLogLines(Buffer.from("plain\r\ntext\n"))).toEqual(["plain", "text"]);
  });
});
