import { Show } from "solid-js";

/** A problem the user should hear of at once (`role="alert"`); nothing while `text` is empty. */
export function Alert(props: { text: string | undefined }) {
  return (
    <Show when={props.text}>
      <p class="notice" role="alert">
        {props.text}
      </p>
    </Show>
  );
}
