import type { TemplateList } from "@launcher/api";
import type { LauncherClient } from "@launcher/client";

export type { Access } from "@launcher/client";
export type { TemplateList };
export type Template = TemplateList["templates"][number];

/** What the web app uses of the launcher client; tests hand in a fake with this shape. */
export type WebClient = Pick<
  LauncherClient,
  "templates" | "launch" | "me" | "instances" | "connection" | "url"
>;

/** One instance as `instances.list` gives it: no secret, no ticket; times in epoch ms. */
export type InstanceEntry = Awaited<
  ReturnType<LauncherClient["instances"]["list"]["query"]>
>["instances"][number];
