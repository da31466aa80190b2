import { Match, Switch } from "solid-js";
import type { Session } from "../lib/create-session.ts";

/** Who is signed in, with Sign out; or Sign in when the server wants a user. */
export function UserLine(props: { session: Session; server: string }) {
  return (
    <Switch>
      <Match when={props.session.state === "signed-out"}>
        <p class="user small">
          <a href={`${props.server}/auth/login`}>Sign in</a>
        </p>
      </Match>
      <Match when={props.session.state === "signed-in" && props.session.user}>
        {(user) => (
          <p class="user small">
            Signed in as <strong>{user()}</strong>
            {/* `local` is the one user of a server without sign-in: nothing to sign out of. */}
            {user() === "local" ? "" : " · "}
            {user() === "local" ? "" : <a href={`${props.server}/auth/logout`}>Sign out</a>}
          </p>
        )}
      </Match>
    </Switch>
  );
}
