import { describe, expect, it } from "vitest";
import { readEnv } from "./env.ts";

const SECRET = "c2VjcmV0LXZhbHVl";

describe("readEnv: the credential", () => {
  it("is the whole header from LAUNCHER_AUTHORIZATION, or a bearer token from LAUNCHER_TOKEN", () => {
    expect(readEnv({ LAUNCHER_AUTHORIZATION: ` Basic ${SECRET} ` }).credential).toEqual({
      source: "LAUNCHER_AUTHORIZATION",
      authorization: `Basic ${SECRET}`,
    });
    for (const token of [SECRET, `Bearer ${SECRET}`, ` bearer  ${SECRET}\n`]) {
      expect(readEnv({ LAUNCHER_TOKEN: token }).credential).toEqual({
        source: "LAUNCHER_TOKEN",
        authorization: `Bearer ${SECRET}`,
      });
    }
    expect(readEnv({ LAUNCHER_TOKEN: " ", LAUNCHER_AUTHORIZATION: "" }).credential).toBeUndefined();
  });

  it("is refused, without its value, when it is ambiguous or cannot go in a header", () => {
    const problems = [
      readEnv({ LAUNCHER_AUTHORIZATION: `Basic ${SECRET}`, LAUNCHER_TOKEN: SECRET }),
      readEnv({ LAUNCHER_AUTHORIZATION: `Basic ${SECRET}\nX-Forwarded-User: boss` }),
      readEnv({ LAUNCHER_TOKEN: `${SECRET} ${SECRET}` }),
      readEnv({ LAUNCHER_TOKEN: `${SECRET}é` }),
    ];
    for (const env of problems) {
      expect(env.credential).toBeUndefined();
      expect(env.credentialProblem).toMatch(/LAUNCHER_(AUTHORIZATION|TOKEN)/);
      expect(env.credentialProblem).not.toContain(SECRET);
    }
  });
});
