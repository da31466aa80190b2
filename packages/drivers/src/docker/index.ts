export { LABELS as DOCKER_LABELS } from "./container-observation.ts";
export {
  containerName,
  createDockerDriver,
  type DockerDriverOptions,
  tombstoneName,
} from "./docker-driver.ts";
