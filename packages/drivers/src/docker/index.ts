export { createDockerDriver, type DockerDriverOptions } from "./docker-driver.ts";
