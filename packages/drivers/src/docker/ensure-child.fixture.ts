// Runs one `ensure` in its own process, so a test can kill -9 it mid-launch.
// Usage: tsx ensure-child.fixture.ts <id> <template JSON> [expiresAt, epoch ms]; the secret
// comes in CHILD_SECRET.
import { TemplateSchema } from "../template.ts";
import { createDockerDriver } from "./docker-driver.ts";

const [id, templateJson, expiresAt] = process.argv.slice(2);
const driver = createDockerDriver({ log: (message) => console.log(message) });
await driver.ensure(
  {
    id: id!,
    template: TemplateSchema.parse(JSON.parse(templateJson!)),
    createdAt: Date.now(),
    owner: "local",
    expiresAt: Number(expiresAt) || Date.now() + 3_600_000,
  },
  { SCRATCHPAD_PASSWORD: process.env.CHILD_SECRET ?? "" },
  new AbortController().signal,
);
console.log("ensured");
