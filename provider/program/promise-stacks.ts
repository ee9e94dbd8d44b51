/**
 * The SDK captures `new Error().stack` for every promise it makes (runtime/debuggable.js), to print
 * where a promise was made if it is still pending when the program exits. A resource's constructor
 * makes one per output, and under ts-node each capture is mapped through source maps frame by
 * frame: in a 1,000-peer import that was 0.33 s of each preview's and up's program, before its
 * first peer could register. Our constructors call the SDK's with one frame to capture.
 *
 * The resource's source position and stack trace are unaffected: the SDK takes them with a limit
 * of its own (Resource.callsites). The leak report's stack for promises of our resources is one
 * frame, so a user who asks for that report (PULUMI_DEBUG_PROMISE_LEAKS) gets the whole stacks as
 * before. An error thrown inside the SDK's constructor (a resource transformation's, say) keeps
 * its message and the frame that threw it. One frame costs what none does: the update's program of
 * that up spent 0.21 s mapping stacks with none, 0.23 s with one, 0.33 s with the default ten.
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
  Error.stackTraceLimit = 1;
  return () => {
    Error.stackTraceLimit = limit;
  };
}
