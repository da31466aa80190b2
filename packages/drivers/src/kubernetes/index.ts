export {
  createKubernetesDriver,
  ID_LABEL,
  type KubernetesDriverOptions,
  MANAGED_BY_LABEL,
  revisionOf,
} from "./kubernetes-driver.ts";
