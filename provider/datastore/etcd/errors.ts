import { EtcdAuthenticationFailedError, EtcdInvalidAuthTokenError, EtcdPermissionDeniedError, GRPCUnauthenticatedError } from "etcd3";
import { type ConnectionSettings, describe } from "../config";
import { AuthenticationFailedError, CredentialsMissingError, DatastoreError, PermissionDeniedError, UnreachableError } from "../errors";

/**
 * etcd's transport failures (gRPC statuses and the etcd3 client's error classes) as the package's
 * typed errors, naming the operation, the endpoints and where the settings came from, never the
 * credentials.
 */

/** `text` with every occurrence of every secret in `s` replaced. */
export function redact(text: string, s: ConnectionSettings): string {
  let out = text;
  for (const secret of [s.password, s.key]) if (secret) out = out.split(secret).join("***");
  return out;
}

/** Where the etcd username and password can be set, for the source the settings came from. */
function credentialKeys(s: ConnectionSettings): string {
  if (s.source === "environment") return "ETCD_USERNAME and ETCD_PASSWORD";
  if (s.source === "calicoctl config file") return "etcdUsername and etcdPassword in the calicoctl config file";
  return "calico:etcdUsername, and calico:etcdPassword with --secret";
}

/**
 * Refresh and destroy run with the stack config the engine recorded at the last up, which may not
 * be what Pulumi.<stack>.yaml holds now; `--run-program` makes them take the current one.
 */
function recordedHint(s: ConnectionSettings, op: string): string {
  // Refresh reads, destroy deletes; a preview or an up runs with the config as it is now.
  return s.source === "stack config" && /^(read|delete)\b/.test(op)
    ? " If this is `pulumi refresh` or `pulumi destroy`: they use the stack config recorded at the stack's last up, not Pulumi.<stack>.yaml as it is now; fixed config takes effect with `--run-program` (pulumi refresh --run-program, pulumi destroy --run-program) or after the next `pulumi up`."
    : "";
}

/** Why a transport failure happened, in words, for the first line; the client's own text goes below. */
function reasonOf(text: string, s: ConnectionSettings): string {
  if (/deadline|timed? ?out|DEADLINE_EXCEEDED/i.test(text)) return `timed out after ${s.timeoutMs} ms`;
  if (/ECONNREFUSED|connection refused/i.test(text)) return "connection refused";
  if (/ENOTFOUND|EAI_AGAIN|getaddrinfo/i.test(text)) return "the host name does not resolve";
  if (/SSL|TLS|certificate|handshake/i.test(text)) return "the TLS handshake failed (check the CA, client certificate and key)";
  return "no answer";
}

/**
 * A transport failure as a typed error naming the operation, the endpoints and where the settings
 * came from, never the credentials. The first line says what happened in words; what the etcd
 * client said (a gRPC status) follows on its own line.
 */
export function wrapTransport(err: unknown, s: ConnectionSettings, op: string): Error {
  if (err instanceof DatastoreError) return err;
  const e = err as Error;
  const text = redact(`${e?.name ?? "Error"}: ${e?.message ?? String(err)}`, s);
  const detail = `etcd client: ${text}`;
  const f = (reason: string) => ({ reason, operation: op, datastore: "etcd", detail });
  const where = describe(s);
  if (/etcdserver: user name is empty/.test(text)) {
    return new CredentialsMissingError(
      f(
        `${op} failed: ${where} has authentication on, and no etcd user is configured. Set ${credentialKeys(s)}, or use a client certificate whose common name is an etcd user.${recordedHint(s, op)}`,
      ),
    );
  }
  if (err instanceof EtcdAuthenticationFailedError || err instanceof EtcdInvalidAuthTokenError || err instanceof GRPCUnauthenticatedError) {
    const who = s.username !== undefined ? `user ${JSON.stringify(s.username)}` : "the client";
    return new AuthenticationFailedError(
      f(
        `${op} failed: ${where} refused the credentials of ${who}: authentication failed. Check the username and password (${credentialKeys(s)}).${recordedHint(s, op)}`,
      ),
    );
  }
  if (err instanceof EtcdPermissionDeniedError) {
    const who = s.username !== undefined ? `user ${JSON.stringify(s.username)}` : "the client certificate's user";
    return new PermissionDeniedError(
      f(
        `${op} failed: ${where} denied ${who} permission: its role needs read and write on the prefix /calico/resources/v3/projectcalico.org/bgppeers/ (and read on .../bgpfilters/ and .../clusterinformations/).${recordedHint(s, op)}`,
      ),
    );
  }
  return new UnreachableError(f(`${op} failed: cannot reach ${where}: ${reasonOf(text, s)}`));
}
