/**
 * The SDK captures `new Error().stack` for every promise it makes (runtime/debuggable.js), to print
 * where a promise was made if it is still pending when the program exits. A resource's constructor
 * makes one per output, and under ts-node each capture is mapped through source maps frame by
 * frame: in a 1,000-peer import that was 0.33 s of each preview's and up's program, before its
 * first peer could register. Our constructors call the SDK's with no frames to capture.
 *
 * The resource's source position and stack trace are unaffected: the SDK takes them with a limit
 * of its own (Resource.callsites). What is lost is the leak report's stack for promises of our
 * resources, so a user who asks for it (PULUMI_DEBUG_PROMISE_LEAKS) gets the stacks as before.
 *
 * The constructor's `super` call cannot run inside a function, hence a pause and a restore:
 *
 * ```ts
 * const restore = pausePromiseStacks();
 * try { super(...); } finally { restore(); }
 * ```
 */
export function pausePromiseStacks(): () => void {
  if (process.env.PULUMI_DEBUG_PROMISE_LEAKS) return () => {};
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  return () => {
    Error.stackTraceLimit = limit;
  };
}
