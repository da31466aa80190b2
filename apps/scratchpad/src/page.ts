const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const layout = (title: string, body: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title}</title>
<style>
:root{color-scheme:light dark;font-family:system-ui,sans-serif}
body{max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
input,textarea,button{font:inherit;padding:.4rem .6rem}
textarea{width:100%;box-sizing:border-box;min-height:5rem}
li{white-space:pre-wrap;border-bottom:1px solid #8884;padding:.4rem 0}
</style></head><body>${body}</body></html>`;

/** The login form browsers see until they sign in. */
export function loginPage(failed: boolean): string {
  return layout(
    "Scratchpad — sign in",
    `<h1>Scratchpad</h1>
<form method="post" action="login">
<p><label for="password">Password</label><br>
<input id="password" name="password" type="password" autocomplete="current-password" required autofocus></p>
${failed ? '<p role="alert">Wrong password.</p>' : ""}
<p><button type="submit">Sign in</button></p>
</form>`,
  );
}

/** The notes page a signed-in user sees. */
export function notesPage(notes: readonly string[]): string {
  const items = notes.map((n) => `<li>${escapeHtml(n)}</li>`).join("");
  return layout(
    "Scratchpad",
    `<h1>Scratchpad</h1>
<form method="post" action="notes">
<p><label for="note">New note</label><br><textarea id="note" name="note" required></textarea></p>
<p><button type="submit">Add note</button></p>
</form>
<h2>Notes</h2>
${items ? `<ul>${items}</ul>` : "<p>No notes yet.</p>"}`,
  );
}
