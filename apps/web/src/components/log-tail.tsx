import { Show } from "solid-js";

/** The launch's latest log lines, scrollable and reachable by keyboard. */
export function LogTail(props: { lines: string[] }) {
  return (
    <Show when={props.lines.length > 0}>
      <figure class="log">
        <figcaption>Latest log lines</figcaption>
        {/* Focusable, so that keyboard users can scroll it. */}
        <pre tabindex="0">{props.lines.join("\n")}</pre>
      </figure>
    </Show>
  );
}
