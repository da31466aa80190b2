export { hasKubeConfig } from "./kube-config.ts";
export { ANNOTATIONS, LABELS, ownerHash } from "./kube-manifests.ts";
export { createKubernetesDriver, type KubernetesDriverOptions } from "./kubernetes-driver.ts";
