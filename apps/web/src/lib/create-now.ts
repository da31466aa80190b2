import { type Accessor, createEffect, createSignal, onCleanup } from "solid-js";

/**
 * The current time in epoch ms, updated every `intervalMs` while `running()` is true.
 * @example
 * const now = createNow(() => phase() !== "ready");
 */
export function createNow(running: Accessor<boolean> = () => true, intervalMs = 1_000) {
  const [now, setNow] = createSignal(Date.now());
  createEffect(() => {
    if (!running()) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    onCleanup(() => clearInterval(timer));
  });
  return now;
}
