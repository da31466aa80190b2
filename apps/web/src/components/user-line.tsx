import { Show } from "solid-js";

/**
 * Who is signed in, with Sign out and a token for the `launcher` command (not for `local`, the
 * one user without sign-in); or Sign in.
 */
export function UserLine(props: { user?: string | undefined; server: string }) {
  return (
    <p class="small">
      <Show when={props.user} fallback={<a href={`${props.server}/auth/login`}>Sign in</a>}>
        Signed in as <strong>{props.user}</strong>{" "}
        <Show when={props.user !== "local"}>
          <a href={`${props.server}/auth/logout`}>Sign out</a>{" "}
          <a href={`${props.server}/auth/token`} title="A token for the launcher command">
            CLI token
          </a>
        </Show>
      </Show>
    </p>
  );
}
