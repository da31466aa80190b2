import { createRoot, createSignal } from "solid-js";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createNow } from "./create-now.ts";

afterEach(() => void vi.useRealTimers());

describe("createNow", () => {
  it("ticks while running, stops when not, and clears its timer on dispose", () => {
    vi.useFakeTimers({ now: 1_000 });
    const [running, setRunning] = createSignal(true);
    const { now, dispose } = createRoot((dispose) => ({ now: createNow(running), dispose }));
    vi.advanceTimersByTime(3_000);
    expect(now()).toBe(4_000);
    setRunning(false);
    vi.advanceTimersByTime(3_000);
    expect(now()).toBe(4_000);
    setRunning(true);
    expect(now()).toBe(7_000);
    dispose();
    expect(vi.getTimerCount()).toBe(0);
  });
});
