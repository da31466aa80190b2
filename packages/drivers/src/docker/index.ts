export { LABELS as DOCKER_LABELS } from "./container-observation.ts";
export {
  containerName,
  createDockerDriver,
  type DockerDriverOptions,
  readyMarkName,
  tombstoneName,
} from "./docker-driver.ts";
