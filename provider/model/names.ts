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

/**
 * calico-upgrade's ConvertNodeName (normalizeName, no hash suffix): lower-case, '/' to '.',
 * anything outside [-.a-z0-9] to '-', runs of [.-] that contain a '.' to '.', trim '.' and '-'.
 */
export function convertNodeName(v1Name: string): string {
  return v1Name
    .toLowerCase()
    .replace(/\//g, ".")
    .replace(/[^-.a-z0-9]/g, "-")
    .replace(/[.-]*\.[.-]*/g, ".")
    .replace(/^[.-]+|[.-]+$/g, "");
}
