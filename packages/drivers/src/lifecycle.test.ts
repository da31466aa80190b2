import { describe, expect, it } from "vitest";
import { DriverError, type Observation, type Phase } from "./driver.ts";
import { destroyInstance, ensureInstance, followToReady } from "./lifecycle.ts";

/** Records the order in which a platform's steps ran. */
function platform(tombstones: boolean[]) {
  const calls: string[] = [];
  const step = (name: string) => async () => {
    calls.push(name);
  };
  return {
    calls,
    steps: {
      signal: new AbortController().signal,
      tombstoned: async () => {
        calls.push("tombstoned");
        return tombstones.shift() ?? false;
      },
      create: step("create"),
      teardown: step("teardown"),
      untilReady: step("untilReady"),
    },
  };
}

async function* observations(...phases: Phase[]): AsyncIterable<Observation> {
  for (const [version, phase] of phases.entries()) {
    yield {
      version,
      phase,
      steps: [],
      logTail: [],
      error: phase === "failed" ? "boom" : undefined,
    };
  }
}

describe("the lifecycle skeleton every driver shares", () => {
  it("creates nothing under a tombstone", async () => {
    const { calls, steps } = platform([true]);
    await ensureInstance(steps);
    expect(calls).toEqual(["tombstoned"]);
  });

  it("tears down what it just created when a destroy wrote its tombstone meanwhile", async () => {
    const { calls, steps } = platform([false, true]);
    await ensureInstance(steps);
    expect(calls).toEqual(["tombstoned", "create", "tombstoned", "teardown"]);
  });

  it("goes on to ready when no destroy came", async () => {
    const { calls, steps } = platform([false, false]);
    await ensureInstance(steps);
    expect(calls).toEqual(["tombstoned", "create", "tombstoned", "untilReady"]);
  });

  it("follows to ready and records it, rejects at failed, gives up quietly once destroying", async () => {
    const signal = new AbortController().signal;
    let recorded = 0;
    const recordReady = async () => {
      recorded++;
    };
    await followToReady({ signal, observe: () => observations("starting", "ready"), recordReady });
    expect(recorded).toBe(1);
    const failed = followToReady({ signal, observe: () => observations("failed"), recordReady });
    await expect(failed).rejects.toThrow(new DriverError("platform", "boom"));
    await followToReady({ signal, observe: () => observations("destroying"), recordReady });
    expect(recorded).toBe(1);
  });

  it("destroys tombstone first, waits for destroyed, then cleans up; without a wait, teardown is the wait", async () => {
    const calls: string[] = [];
    const step = (name: string) => async () => {
      calls.push(name);
    };
    await destroyInstance({
      writeTombstone: step("tombstone"),
      teardown: step("teardown"),
      wait: {
        observe: async function* (signal) {
          calls.push("wait");
          yield* observations("destroying", "destroyed");
          signal.throwIfAborted();
        },
        timeoutMs: 1000,
      },
      cleanUp: step("cleanUp"),
    });
    await destroyInstance({ writeTombstone: step("tombstone"), teardown: step("teardown") });
    expect(calls).toEqual(["tombstone", "teardown", "wait", "cleanUp", "tombstone", "teardown"]);
  });

  it("rejects as unavailable when the instance is still there after the wait", async () => {
    const destroying = destroyInstance({
      writeTombstone: async () => {},
      teardown: async () => {},
      wait: { observe: () => observations("destroying"), timeoutMs: 1000 },
    });
    await expect(destroying).rejects.toMatchObject({ code: "unavailable" });
  });
});
