import { createRoot, createSignal } from "solid-js";
import { describe, expect, it } from "vitest";
import { createSubscription } from "./create-subscription.ts";

describe("createSubscription", () => {
  it("subscribes while there is an input, again when it changes, and stops on dispose", () => {
    const log: string[] = [];
    const subscribe = (input: string) => {
      log.push(`+${input}`);
      return () => log.push(`-${input}`);
    };
    const [input, setInput] = createSignal<string | false>("a");
    const dispose = createRoot((dispose) => {
      createSubscription(input, subscribe);
      return dispose;
    });
    expect(log).toEqual(["+a"]);
    setInput("b");
    expect(log).toEqual(["+a", "-a", "+b"]);
    setInput(false);
    expect(log).toEqual(["+a", "-a", "+b", "-b"]);
    setInput("c");
    dispose();
    expect(log).toEqual(["+a", "-a", "+b", "-b", "+c", "-c"]);
  });

  it("does not resubscribe when the subscriber reads signals", () => {
    let subscriptions = 0;
    const [other, setOther] = createSignal(0);
    const dispose = createRoot((dispose) => {
      createSubscription(
        () => "x",
        () => {
          subscriptions += other() + 1;
          return () => {};
        },
      );
      return dispose;
    });
    setOther(5);
    expect(subscriptions).toBe(1);
    dispose();
  });
});
