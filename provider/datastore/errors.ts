import { EtcdAuthenticationFailedError, EtcdInvalidAuthTokenError, EtcdPermissionDeniedError, GRPCUnauthenticatedError } from "etcd3";
import { type ConnectionSettings, describe } from "./config";

/**
 * A failure of the datastore or of what it holds. Each kind is its own class, so callers and tests
 * can tell them apart, and each message says what to do. Messages never hold a secret.
 */
export class DatastoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The peer exists, and this resource may not take it over (no `adopt`). */
export class AlreadyExistsError extends DatastoreError {}
/** The peer changed in etcd since the state last saw it; nothing was written. */
export class ConflictError extends DatastoreError {}
/** The peer is gone from etcd (deleted outside Pulumi); nothing was written. */
export class NotFoundError extends DatastoreError {}
/** A BGPFilter the peer names does not exist; nothing was written. */
export class FilterMissingError extends DatastoreError {
  constructor(
    message: string,
    readonly missing: string[],
  ) {
    super(message);
  }
}
/** etcd did not answer: down, unreachable, wrong endpoint or TLS, or too slow. */
export class UnreachableError extends DatastoreError {}
/** etcd refused the credentials (wrong username or password, or no client certificate it trusts). */
export class AuthenticationFailedError extends DatastoreError {}
/** The credentials work, but their etcd role may not do this operation on this key. */
export class PermissionDeniedError extends DatastoreError {}
/** Inputs that did not come through check, or still hold a value unknown at preview; nothing was written. */
export class InvalidInputError extends DatastoreError {}
/** A BGPPeer field the cluster's Calico release does not have; nothing was written. */
export class UnsupportedFieldError extends DatastoreError {}

/** `text` with every occurrence of every secret in `s` replaced. */
export function redact(text: string, s: ConnectionSettings): string {
  let out = text;
  for (const secret of [s.password, s.key]) if (secret) out = out.split(secret).join("***");
  return out;
}

/**
 * A transport failure as a typed error naming the operation, the endpoints and where the settings
 * came from, never the credentials.
 */
export function wrapTransport(err: unknown, s: ConnectionSettings, op: string): Error {
  if (err instanceof DatastoreError) return err;
  const e = err as Error;
  const text = redact(`${e?.name ?? "Error"}: ${e?.message ?? String(err)}`, s);
  const where = describe(s);
  if (err instanceof EtcdAuthenticationFailedError || err instanceof EtcdInvalidAuthTokenError || err instanceof GRPCUnauthenticatedError) {
    const who = s.username !== undefined ? `user ${JSON.stringify(s.username)}` : "the client";
    return new AuthenticationFailedError(
      `${op} failed: ${where} refused the credentials of ${who}: authentication failed. Check the username and password (calico:etcdUsername and calico:etcdPassword, ETCD_USERNAME and ETCD_PASSWORD, or the calicoctl config file). (${text})`,
    );
  }
  if (err instanceof EtcdPermissionDeniedError) {
    const who = s.username !== undefined ? `user ${JSON.stringify(s.username)}` : "the client certificate's user";
    return new PermissionDeniedError(
      `${op} failed: ${where} denied ${who} permission: its role needs read and write on the prefix /calico/resources/v3/projectcalico.org/bgppeers/ (and read on .../bgpfilters/ and .../clusterinformations/). (${text})`,
    );
  }
  const timedOut = /deadline|timed? ?out|DEADLINE_EXCEEDED/i.test(text);
  const why = timedOut ? `timed out after ${s.timeoutMs} ms` : text;
  return new UnreachableError(`${op} failed: cannot reach ${where}: ${why}`);
}
