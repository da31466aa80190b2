import type { V1ConfigMap, V1Deployment, V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { withSpec } from "../driver-fixtures.ts";
import { parseLabelSelector } from "./fake-kube-selectors.ts";
import { template } from "./kube-fixtures.ts";
import { ANNOTATIONS, ownerHash, resourcesFor } from "./kube-manifests.ts";
import { describeKube, type KubeFacts, kubeInstanceInfo, VERSION } from "./kube-observation.ts";

const ID = "0123456789abcdef0123456789abcdef";
const T0 = Date.parse("2026-01-01T00:00:00.000Z");

const deployment = (rv: number, annotations: Record<string, string> = {}): V1Deployment => ({
  metadata: {
    name: `launcher-${ID}`,
    resourceVersion: String(rv),
    creationTimestamp: new Date(T0) as unknown as Date,
    annotations: {
      [ANNOTATIONS.owner]: "alice",
      [ANNOTATIONS.template]: "jupyter",
      [ANNOTATIONS.createdAt]: new Date(T0 - 500).toISOString(),
      [ANNOTATIONS.expiresAt]: new Date(T0 + 3_600_000).toISOString(),
      [ANNOTATIONS.timeout]: "60",
      [ANNOTATIONS.url]: "https://x.example.com/",
      ...annotations,
    },
  },
});

const pod = (rv: number, container: object | undefined, extra: object = {}): V1Pod => ({
  metadata: { name: "p", resourceVersion: String(rv) },
  status: {
    conditions: [{ type: "PodScheduled", status: "True" }],
    ...(container ? { containerStatuses: [container as never] } : {}),
    ...extra,
  },
});
const running = { name: "app", image: "", imageID: "", restartCount: 0, state: { running: {} } };

const grave = (rv: number, reason = "destroyed"): V1ConfigMap => ({
  metadata: { resourceVersion: String(rv), annotations: { [ANNOTATIONS.reason]: reason } },
});

const facts = (over: Partial<KubeFacts>): KubeFacts => ({ pods: [], now: T0 + 1000, ...over });

describe("kubernetes observations from platform state", () => {
  it("walks preparing → creating → pulling → starting → checking → ready with growing versions", () => {
    const seen = [
      describeKube(facts({})),
      describeKube(facts({ deployment: deployment(101) })),
      describeKube(
        facts({
          deployment: deployment(101),
          pods: [pod(105, { ...running, state: { waiting: { reason: "ContainerCreating" } } })],
        }),
      ),
      describeKube(
        facts({
          deployment: deployment(101),
          pods: [pod(106, { ...running, started: false, ready: false })],
        }),
      ),
      describeKube(
        facts({
          deployment: deployment(101),
          pods: [pod(107, { ...running, started: true, ready: false })],
        }),
      ),
      describeKube(
        facts({
          deployment: deployment(101),
          pods: [pod(108, { ...running, started: true, ready: true })],
        }),
      ),
    ];
    expect(seen.map((o) => o.phase)).toEqual([
      "preparing",
      "creating",
      "pulling",
      "starting",
      "checking",
      "ready",
    ]);
    expect(seen.map((o) => o.version)).toEqual([0, 101, 105, 106, 107, 108]);
    expect(seen.at(-1)!.url).toBe("https://x.example.com/");
  });

  it("is destroying while the Deployment or a pod is left under a tombstone, then destroyed for good", () => {
    const pods = [pod(120, { ...running, ready: true })];
    const going = describeKube(facts({ tombstone: grave(130), deployment: deployment(131), pods }));
    const podsLeft = describeKube(facts({ tombstone: grave(130), pods }));
    const gone = describeKube(facts({ tombstone: grave(130) }));
    expect(going).toMatchObject({ phase: "destroying", version: 131 });
    expect(podsLeft.phase).toBe("destroying");
    expect(gone).toMatchObject({ phase: "destroyed", version: VERSION.destroyed });
    expect(gone.message).toBe("Destroyed");
    expect(describeKube(facts({ tombstone: grave(130, "expired") })).message).toMatch(/expired/);
  });

  it("times out one version past the last state unless readiness was recorded; a recorded failure wins", () => {
    const checking = [pod(110, { ...running, started: true, ready: false })];
    const late = T0 + 61_000;
    const timedOut = describeKube(
      facts({ deployment: deployment(101), pods: checking, now: late }),
    );
    expect(timedOut).toMatchObject({ phase: "failed", version: 111 });
    expect(timedOut.error).toMatch(/within 60 s/);
    const wasReady = deployment(112, { [ANNOTATIONS.ready]: new Date(T0).toISOString() });
    expect(describeKube(facts({ deployment: wasReady, pods: checking, now: late })).phase).toBe(
      "checking",
    );
    const marked = deployment(113, { [ANNOTATIONS.failed]: "The image would not start" });
    expect(describeKube(facts({ deployment: marked, pods: checking }))).toMatchObject({
      phase: "failed",
      version: 113,
      error: "The image would not start",
    });
  });

  it("fails at once for an image that runs as root", () => {
    const waiting = {
      ...running,
      state: {
        waiting: {
          reason: "CreateContainerConfigError",
          message: "container has runAsNonRoot and image will run as root",
        },
      },
    };
    const observation = describeKube(
      facts({ deployment: deployment(101), pods: [pod(102, waiting)] }),
    );
    expect(observation).toMatchObject({
      phase: "failed",
      error: expect.stringMatching(/non-root/),
    });
  });

  it("lists an instance from its Deployment's annotations, and not once destroyed", () => {
    expect(kubeInstanceInfo(ID, facts({ deployment: deployment(101) }))).toEqual({
      id: ID,
      owner: "alice",
      template: "jupyter",
      phase: "creating",
      createdAt: T0 - 500,
      expiresAt: T0 + 3_600_000,
    });
    expect(
      kubeInstanceInfo(ID, facts({ deployment: deployment(101), tombstone: grave(102) }))?.phase,
    ).toBe("destroying");
    expect(kubeInstanceInfo(ID, facts({}))).toBeUndefined();
  });
});

describe("kubernetes manifests", () => {
  it("hashes the owner into a valid label value", () => {
    const hash = ownerHash("alice@example.com");
    expect(hash).toMatch(/^[0-9a-f]{40}$/);
    expect(ownerHash("alice@example.com")).toBe(hash);
    expect(ownerHash("bob")).not.toBe(hash);
  });

  it("asks for what the template's resources say, and limits to it", () => {
    expect(resourcesFor(template)).toBeUndefined();
    const sized = withSpec(
      template,
      "kubernetes",
      {},
      { resources: { cpus: 1.25, memoryMiB: 300 } },
    );
    expect(resourcesFor(sized)).toEqual({
      requests: { cpu: "1250m", memory: "300Mi" },
      limits: { cpu: "1250m", memory: "300Mi" },
    });
  });
});

describe("the fake API server's label selectors", () => {
  const labels = { "app.kubernetes.io/managed-by": "launcher", tier: "web", "launcher.id": "abc" };
  it.each([
    ["app.kubernetes.io/managed-by=launcher", true],
    ["app.kubernetes.io/managed-by==launcher,tier=web", true],
    ["tier!=web", false],
    ["missing!=x", true],
    ["tier", true],
    ["!tier", false],
    ["!missing", true],
    ["tier in (web, api)", true],
    ["tier notin (web)", false],
    ["missing notin (web)", true],
    ["launcher.id=abc,tier in (api)", false],
    ["", true],
  ])("%s → %s", (selector, expected) => {
    expect(parseLabelSelector(selector)(labels)).toBe(expected);
  });
  it("refuses a malformed selector", () => {
    expect(() => parseLabelSelector("tier=(web")).toThrow(/unable to parse/);
  });
});
