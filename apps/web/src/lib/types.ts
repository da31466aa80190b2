import type { TemplateList } from "@launcher/api";
import type { LauncherClient } from "@launcher/client";

export type { Access } from "@launcher/client";
export type { TemplateList };
export type Template = TemplateList["templates"][number];

/** What the web app uses of the launcher client; tests hand in a fake with this shape. */
export type WebClient = Pick<LauncherClient, "templates" | "launch" | "me" | "connection" | "url">;
