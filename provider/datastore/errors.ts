/**
 * Every failure this package reports, as data. Each class is one kind of failure; each instance
 * carries what a script needs to act on it (the peer or set, the datastore, the operation, what
 * was written, the remedy), and one formatter (`tell`) builds the message from those fields, so
 * that every refusal reads the same way wherever it is raised. Messages never hold a secret.
 *
 * The message: `<subject> <reason>. Nothing was written. <remedy>`, with the datastore client's
 * own words, when there are any, on a line of their own below. `stack` holds the message alone:
 * the dynamic provider host prints a failed call's stack, and its frames say nothing to a user.
 */

/**
 * What a failure left in the datastore.
 *
 * @example
 * ```ts
 * if (e instanceof DatastoreError && e.written === "unknown") console.error("run pulumi refresh once the datastore answers");
 * ```
 */
export type Written =
  /** Nothing: the failure was found before any write. */
  | "nothing"
  /** Some writes of a set landed, and the message says which; state records none of them. */
  | "partly"
  /** Unknown: the datastore did not answer, and says nothing of what landed. */
  | "unknown";

/**
 * What every {@link DatastoreError} carries, for scripts to act on without parsing its message.
 *
 * @example
 * ```ts
 * if (e instanceof ConflictError) report({ peer: e.peer, set: e.set, written: e.written, remedy: e.remedy });
 * ```
 */
export interface ErrorFields {
  /** The failure as a sentence without its subject and final period: "was changed outside Pulumi: …". */
  reason: string;
  /** What is wrong with the subject, when the failure is a list of rules it breaks (shown after a colon). */
  problems?: string[];
  /** The BGPPeer's Calico name, when the failure is about one peer. */
  peer?: string;
  /** The BgpPeerSet's (or RackPeers') name, when the failure is about a set. */
  set?: string;
  /** "etcd" or "the Kubernetes datastore" (with where, when the connection failed). */
  datastore?: string;
  /** The operation that failed: create, update, delete, read, adopt, preview, check. */
  operation?: string;
  /** What the failure left in the datastore. */
  written?: Written;
  /** What to do, in one or two sentences. */
  remedy?: string;
  /** What the datastore client itself said (a gRPC status, an HTTP message): shown below the rest. */
  detail?: string;
  /** A set's refusal: one error per peer it names. */
  peers?: DatastoreError[];
}

/** The message for `f`: the one place where a failure becomes text. */
export function tell(f: ErrorFields): string {
  // A set's failure about one of its peers names both.
  const subject = [f.set !== undefined && `BgpPeerSet "${f.set}":`, f.peer !== undefined && `BGPPeer "${f.peer}"`].filter(Boolean).join(" ");
  const said = f.problems?.length ? `${subject ? `${subject.replace(/:$/, "")}: ` : ""}${f.problems.join("; ")}` : `${subject ? `${subject} ` : ""}${f.reason}`;
  const parts = [`${said.replace(/\.$/, "")}.`];
  if (f.written === "nothing") parts.push("Nothing was written.");
  if (f.remedy) parts.push(f.remedy);
  const text = parts.join(" ");
  return f.detail ? `${text}\n(${f.detail})` : text;
}

/**
 * The base of every failure the package reports (see docs/reference.md, "Errors", for when each
 * subclass is thrown).
 *
 * @example Tell a conflict apart from other failures, in a script that drives provider
 * ```ts
 * import { ConflictError, provider } from "pulumi-calico-bgppeer";
 * try {
 *   await provider.update!("rr", olds, news);
 * } catch (e) {
 *   if (e instanceof ConflictError) console.error(`changed outside Pulumi: ${e.peer}; nothing was written: ${e.written}`);
 *   else throw e;
 * }
 * ```
 */
export class DatastoreError extends Error implements ErrorFields {
  reason = "";
  readonly peer?: string;
  readonly set?: string;
  readonly datastore?: string;
  readonly operation?: string;
  readonly written?: Written;
  readonly remedy?: string;
  readonly detail?: string;
  readonly peers?: DatastoreError[];
  readonly problems?: string[];

  /** A string is a reason with no other fields (a failure of the connection says everything in it). */
  constructor(fields: ErrorFields | string, detail?: string) {
    const f = typeof fields === "string" ? { reason: fields, detail } : fields;
    super(f.reason);
    this.name = new.target.name;
    Object.assign(this, f);
    this.restate({});
  }

  /** The summary, without the client's detail: the message's first line. */
  get summary(): string {
    return tell({ ...this.fields(), detail: undefined });
  }

  /** The fields of the failure, as data (what the message is built from). */
  fields(): ErrorFields {
    const { reason, problems, peer, set, datastore, operation, written, remedy, detail, peers } = this;
    return { reason, problems, peer, set, datastore, operation, written, remedy, detail, peers };
  }

  /** The same failure with some fields changed (a caller adds what it knows); the message follows. */
  restate(changes: Partial<ErrorFields>): this {
    Object.assign(this, changes);
    this.message = tell(this.fields());
    this.stack = `${this.name}: ${this.message}`;
    return this;
  }
}

/**
 * The peer exists, and this resource may not take it over (no `adopt`, or another stack's mark).
 *
 * @example
 * ```ts
 * if (e instanceof AlreadyExistsError) console.error(`${e.peer} exists: ${e.remedy}`);
 * ```
 */
export class AlreadyExistsError extends DatastoreError {}
/**
 * The peer changed in the datastore since the state last saw it (or belongs to another stack now); nothing was written.
 *
 * @example
 * ```ts
 * if (e instanceof ConflictError) console.error(`${e.peer} changed outside Pulumi; run pulumi refresh`);
 * ```
 */
export class ConflictError extends DatastoreError {}
/**
 * The peer is gone from the datastore (deleted outside Pulumi); nothing was written.
 *
 * @example
 * ```ts
 * if (e instanceof NotFoundError) console.error(`${e.peer} was deleted outside Pulumi`);
 * ```
 */
export class NotFoundError extends DatastoreError {}
/**
 * A BGPFilter the peer names does not exist; nothing was written.
 *
 * @example
 * ```ts
 * if (e instanceof FilterMissingError) console.error(`create the BGPFilter(s) ${e.missing.join(", ")} first`);
 * ```
 */
export class FilterMissingError extends DatastoreError {
  constructor(
    fields: ErrorFields,
    /** The BGPFilter names the peer's `filters` give that do not exist. */
    readonly missing: string[],
  ) {
    super(fields);
  }
}
/**
 * The datastore did not answer: down, unreachable, wrong endpoint or TLS, or too slow.
 *
 * @example
 * ```ts
 * if (e instanceof UnreachableError) setTimeout(retry, 5_000); // nothing known to be written: e.written
 * ```
 */
export class UnreachableError extends DatastoreError {}
/**
 * The datastore refused the credentials (wrong username or password, token, or client certificate).
 *
 * @example
 * ```ts
 * if (e instanceof AuthenticationFailedError) console.error(`check the credentials for ${e.datastore}`);
 * ```
 */
export class AuthenticationFailedError extends DatastoreError {}
/**
 * etcd has authentication on, and no username was configured: it answered "user name is empty".
 *
 * @example
 * ```ts
 * if (e instanceof CredentialsMissingError) console.error("set calico:etcdUsername and calico:etcdPassword");
 * ```
 */
export class CredentialsMissingError extends AuthenticationFailedError {}
/**
 * The credentials work, but may not do this operation on this key or resource.
 *
 * @example
 * ```ts
 * if (e instanceof PermissionDeniedError) console.error(`${e.operation} needs more permissions: ${e.message}`);
 * ```
 */
export class PermissionDeniedError extends DatastoreError {}
/**
 * Inputs that did not come through check, still hold a value unknown at preview, or that the datastore rejects; nothing was written.
 *
 * @example
 * ```ts
 * if (e instanceof InvalidInputError) console.error(e.problems ?? e.message);
 * ```
 */
export class InvalidInputError extends DatastoreError {}
/**
 * A BGPPeer field the cluster's Calico release does not have; nothing was written.
 *
 * @example
 * ```ts
 * if (e instanceof UnsupportedFieldError) console.error(`upgrade Calico, or drop: ${e.problems?.join("; ")}`);
 * ```
 */
export class UnsupportedFieldError extends DatastoreError {}

/**
 * Settings that cannot be used: a bad endpoint, a missing file, an unknown datastore type.
 *
 * @example
 * ```ts
 * if (e instanceof ConfigError) console.error(`fix the connection settings: ${e.message}`);
 * ```
 */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}
