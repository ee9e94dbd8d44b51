/**
 * A rule violation found while checking a peer. `property` is the input field as the user spells it;
 * `reason` names the bad value and the rule. Secrets never reach either.
 *
 * @example
 * ```ts
 * const e = new RuleError("asNumber", '4294967296 is above 4294967295, the largest 4-byte AS number');
 * e.message; // 'asNumber: 4294967296 is above 4294967295, the largest 4-byte AS number'
 * ```
 */
export class RuleError extends Error {
  constructor(
    /** The input that breaks the rule ("asNumber", "peers[3].peerIP"). */
    readonly property: string,
    /** The value and the rule it breaks, in words. */
    readonly reason: string,
  ) {
    super(`${property}: ${reason}`);
    this.name = "RuleError";
  }
}

/** Quote a user value for an error message, bounded so that a huge input does not flood the log. */
export function show(value: unknown): string {
  const text = typeof value === "string" ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
