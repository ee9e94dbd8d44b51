// Its own module because the program (resource.ts) needs it, and loading spec.ts there would load
// zod, ipaddr.js and the selector parser into every Pulumi program for nothing.

/** The v1 ("seed") model is in use when the peer says `scope` or `hostname`. */
export function usesSeedTerms(args: { scope?: unknown; hostname?: unknown }): boolean {
  return args.scope !== undefined || args.hostname !== undefined;
}
