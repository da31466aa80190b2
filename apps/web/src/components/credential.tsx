import { createSignal, onCleanup, Show } from "solid-js";
import { capitalize } from "../lib/format.ts";

const MASK = "••••••••••••";

/** A generated secret, masked until revealed: the clear value is in the DOM only while shown. */
export function Credential(props: { name: string; value: string }) {
  const [revealed, setRevealed] = createSignal(false);
  const [copied, setCopied] = createSignal<string>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  onCleanup(() => clearTimeout(timer));

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.value);
      setCopied("Copied");
    } catch {
      setCopied("Copy failed: reveal it and copy it by hand");
    }
    clearTimeout(timer);
    timer = setTimeout(() => setCopied(undefined), 2_000);
  };

  const verb = () => (revealed() ? "Hide" : "Reveal");
  return (
    <div class="row credential">
      <dt>{capitalize(props.name)}</dt>
      <dd>
        <code class="secret" data-credential={props.name}>
          <Show
            when={revealed()}
            fallback={
              <>
                <span aria-hidden="true">{MASK}</span>
                <span class="sr-only">hidden</span>
              </>
            }
          >
            {props.value}
          </Show>
        </code>
        <span class="buttons">
          <button
            type="button"
            aria-label={`${verb()} ${props.name}`}
            onClick={() => setRevealed(!revealed())}
          >
            {verb()}
          </button>
          <button type="button" aria-label={`Copy ${props.name}`} onClick={copy}>
            Copy
          </button>
        </span>
        <span class="copied" role="status">
          {copied()}
        </span>
      </dd>
    </div>
  );
}
