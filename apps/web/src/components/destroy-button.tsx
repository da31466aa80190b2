import { createSignal, Show } from "solid-js";

/** Destroy, after an inline confirmation whose safe choice (Cancel) takes the focus. */
export function DestroyButton(props: { busy: boolean; onDestroy: () => void }) {
  const [confirming, setConfirming] = createSignal(false);
  let open: HTMLButtonElement | undefined;
  const cancel = () => {
    setConfirming(false);
    open?.focus();
  };
  return (
    <Show
      when={confirming()}
      fallback={
        <button type="button" class="danger" ref={open} onClick={() => setConfirming(true)}>
          Destroy…
        </button>
      }
    >
      <fieldset class="confirm" onKeyDown={(e) => e.key === "Escape" && cancel()}>
        <legend>Destroy this instance? It stops and its files are deleted.</legend>
        <button
          type="button"
          class="danger"
          aria-disabled={props.busy}
          onClick={() => !props.busy && props.onDestroy()}
        >
          {props.busy ? "Destroying…" : "Yes, destroy"}
        </button>
        <button type="button" ref={(el) => queueMicrotask(() => el.focus())} onClick={cancel}>
          Cancel
        </button>
      </fieldset>
    </Show>
  );
}
