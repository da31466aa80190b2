import type { ContainerInspectInfo } from "dockerode";
import { describe, expect, it } from "vitest";
import { describeContainer, LABELS, parseEngineTime, VERSION } from "./container-observation.ts";
import { demuxLogLines } from "./demux-logs.ts";

const labels = {
  [LABELS.id]: "abc",
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

const base = {
  healthy: false,
  wasReady: false,
  logLines: [],
  now: Date.parse("2026-01-01T00:00:05Z"),
  publicHost: "127.0.0.1",
};

describe("docker observations from inspect", () => {
  it("reads engine times to the millisecond and Go's zero time as unknown", () => {
    expect(parseEngineTime("2026-01-01T00:00:00.123456789Z")).toBe(
      Date.parse("2026-01-01T00:00:00.123Z"),
    );
    expect(parseEngineTime("0001-01-01T00:00:00Z")).toBeUndefined();
  });

  it("orders a launch's versions: pulling < creating < starting < checking < ready < failed < destroyed", () => {
    const started = "2026-01-01T00:00:01.5Z";
    const versions = [
      VERSION.pulling(0),
      VERSION.pulling(1),
      VERSION.creating,
      describeContainer({ ...base, info: info({ Status: "created" }) }).version,
      describeContainer({ ...base, info: info({ StartedAt: started }) }).version,
      describeContainer({ ...base, info: info({ StartedAt: started }), logLines: ["a", "b"] })
        .version,
      describeContainer({ ...base, info: info({ StartedAt: started }), healthy: true }).version,
      describeContainer({
        ...base,
        info: info({
          Status: "exited",
          StartedAt: started,
          FinishedAt: "2026-01-01T00:00:02Z",
          ExitCode: 1,
        }),
      }).version,
      VERSION.destroyed,
    ];
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(new Set(versions).size).toBe(versions.length);
  });

  it("is ready with the URL on the published port and fails when the health check times out", () => {
    const ready = describeContainer({
      ...base,
      info: info({ StartedAt: "2026-01-01T00:00:01Z" }),
      healthy: true,
    });
    expect(ready).toMatchObject({ phase: "ready", url: "http://127.0.0.1:40001/" });
    const late = describeContainer({
      ...base,
      now: Date.parse("2026-01-01T00:01:00Z"),
      info: info({ StartedAt: "2026-01-01T00:00:01Z" }),
    });
    expect(late).toMatchObject({ phase: "failed", error: expect.stringContaining("/health") });
  });

  it("stays ready, with the same version, when a probe misses after the timeout once it was ready", () => {
    const ready = describeContainer({
      ...base,
      info: info({ StartedAt: "2026-01-01T00:00:01Z" }),
      healthy: true,
    });
    const missed = describeContainer({
      ...base,
      now: Date.parse("2026-01-01T00:01:00Z"),
      info: info({ StartedAt: "2026-01-01T00:00:01Z" }),
      wasReady: true,
    });
    expect(missed).toMatchObject({ phase: "ready", url: ready.url, version: ready.version });
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
