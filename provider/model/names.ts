import { RuleError, show } from "./errors";

// libcalico-go validator nameSubdomainFmt; DNS1123SubdomainMaxLength = 253.
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_MAX = 253;

export function checkName(field: string, value: string): void {
  if (value.length > DNS1123_MAX) {
    throw new RuleError(field, `${show(value)} is too long by ${value.length - DNS1123_MAX} bytes: a Calico name is at most ${DNS1123_MAX} characters`);
  }
  if (!DNS1123_SUBDOMAIN.test(value)) {
    throw new RuleError(
      field,
      `${show(value)} is not a valid Calico name: it must consist of lower case alphanumeric characters, '-' or '.', and start and end with an alphanumeric character (regex ${DNS1123_SUBDOMAIN.source})`,
    );
  }
}

// k8s.io/apimachinery validation: IsQualifiedName and IsValidLabelValue, as Calico applies to metadata.
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export function isQualifiedName(key: string): boolean {
  const parts = key.split("/");
  let name = key;
  if (parts.length === 2) {
    const prefix = parts[0];
    name = parts[1];
    if (prefix.length === 0 || prefix.length > DNS1123_MAX || !DNS1123_SUBDOMAIN.test(prefix)) return false;
  } else if (parts.length > 2) {
    return false;
  }
  return name.length > 0 && name.length <= 63 && QUALIFIED_NAME_PART.test(name);
}

export function isValidLabelValue(value: string): boolean {
  return value.length <= 63 && LABEL_VALUE.test(value);
}

/**
 * calico-upgrade's convertIpToName: IPv4 dots become dashes; IPv6 is fully expanded to eight
 * four-digit groups joined by dashes (libcalico-go upgrade/converters/names.go).
 */
export function ipToName(ip: { kind(): "ipv4" | "ipv6"; toNormalizedString(): string; toString(): string }): string {
  if (ip.kind() === "ipv4") return ip.toString().replace(/\./g, "-");
  return ip
    .toNormalizedString()
    .split(":")
    .map((g) => g.padStart(4, "0"))
    .join("-");
}

// libcalico-go lib/upgrade/converters/names.go: nonNameChar, dotDashSeq, trailingLeadingDotsDashes.
const NON_NAME_CHARS = /[^-.a-z0-9]+/g;
const DOT_DASH_SEQ = /[.-]*[.][.-]*/g;
const LEADING_TRAILING_DOTS_DASHES = /^[.-]*(.*?)[.-]*$/s;

/**
 * calico-upgrade's and `calicoctl convert`'s ConvertNodeName (normalizeName, no hash suffix), step
 * for step: lower-case; '/' to '.'; each *run* of characters outside [-.a-z0-9] to one '-'; each
 * run of [.-] that holds a '.' to one '.'; leading and trailing '.' and '-' removed. Go lower-cases
 * by Unicode rules too; BgpPeer only ever passes names the v1 rule below admits, which are ASCII.
 */
export function convertNodeName(v1Name: string): string {
  return v1Name.toLowerCase().replace(/\//g, ".").replace(NON_NAME_CHARS, "-").replace(DOT_DASH_SEQ, ".").replace(LEADING_TRAILING_DOTS_DASHES, "$1");
}

// libcalico-go lib/validator/v1/validator.go nameRegex: the v1 API's rule for a BGP peer's node,
// which `calicoctl convert` applies to a v1 manifest before converting it.
const V1_NAME = /^[a-zA-Z0-9_.-]{1,128}$/;

/**
 * A node name in seed (v1) terms, converted as `calicoctl convert` does: first the v1 API's rule
 * (refused there too), then ConvertNodeName, then the v3 rule on the result (the conversion's
 * validation, which refuses for example a name of dots and dashes only, converted to "").
 */
export function convertV1NodeName(field: string, v1Name: string): string {
  if (!V1_NAME.test(v1Name)) {
    throw new RuleError(
      field,
      `${show(v1Name)} is not a valid v1 node name: in seed terms (scope or hostname given), a node name is 1 to 128 characters of [a-zA-Z0-9_.-], the v1 API's rule that \`calicoctl convert\` applies before converting (regex ${V1_NAME.source})`,
    );
  }
  const v3 = convertNodeName(v1Name);
  if (!DNS1123_SUBDOMAIN.test(v3)) {
    throw new RuleError(
      field,
      `${show(v1Name)} converts to ${show(v3)} under calico-upgrade's node-name conversion, which is not a valid Calico node name, so \`calicoctl convert\` refuses it too`,
    );
  }
  return v3;
}
