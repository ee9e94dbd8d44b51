import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { pausePromiseStacks } from "../../provider/program/promise-stacks";

/** Frames in a stack captured the way the SDK's debuggablePromise captures one. */
const frames = () => (new Error().stack ?? "").split("\n").filter((l) => l.trimStart().startsWith("at ")).length;

describe("pausePromiseStacks", () => {
  it("captures one frame while paused, and restores the limit it found", () => {
    const before = Error.stackTraceLimit;
    assert.ok(frames() > 1, "a stack has frames (the check below can fail)");
    const restore = pausePromiseStacks();
    try {
      assert.equal(frames(), 1);
    } finally {
      restore();
    }
    assert.equal(Error.stackTraceLimit, before);
    assert.ok(frames() > 1);
  });

  it("restores a limit the program set itself, even when the constructor throws, whose error keeps the frame that threw it", () => {
    const before = Error.stackTraceLimit;
    Error.stackTraceLimit = 3;
    const transformation = () => {
      throw new Error("a transformation's error, inside super()");
    };
    try {
      assert.throws(
        () => {
          const restore = pausePromiseStacks();
          try {
            transformation();
          } finally {
            restore();
          }
        },
        (e: Error) => /inside super/.test(e.message) && /^\s+at transformation /m.test(e.stack ?? ""),
      );
      assert.equal(Error.stackTraceLimit, 3);
    } finally {
      Error.stackTraceLimit = before;
    }
  });

  it("keeps the stacks when the user asks for Pulumi's promise-leak report", () => {
    const before = process.env.PULUMI_DEBUG_PROMISE_LEAKS;
    process.env.PULUMI_DEBUG_PROMISE_LEAKS = "true";
    try {
      const restore = pausePromiseStacks();
      try {
        assert.ok(frames() > 1);
      } finally {
        restore();
      }
    } finally {
      if (before === undefined) delete process.env.PULUMI_DEBUG_PROMISE_LEAKS;
      else process.env.PULUMI_DEBUG_PROMISE_LEAKS = before;
    }
  });
});
