import { createLauncherServer } from "./app.ts";
import { ConfigError, readEnv } from "./env.ts";
import { createLogger } from "./logger.ts";

async function main() {
  let env: ReturnType<typeof readEnv>;
  try {
    env = readEnv();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`launcher: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(env.LAUNCHER_LOG_LEVEL);
  let launcher: Awaited<ReturnType<typeof createLauncherServer>>;
  try {
    launcher = await createLauncherServer(env, logger);
    await launcher.listen();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === "EADDRINUSE"
        ? `port ${env.PORT} is in use`
        : error instanceof Error
          ? error.message
          : String(error);
    console.error(`launcher: cannot start: ${why}`);
    process.exit(1);
  }
  logger.info({ url: launcher.url, port: Number(new URL(launcher.url).port) }, "listening");

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down; instances keep running");
    launcher.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
    setTimeout(() => process.exit(0), 5000).unref();
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

void main();
