import * as ipaddr from "ipaddr.js";
import { RuleError, show } from "./errors";

export type IP = ipaddr.IPv4 | ipaddr.IPv6;

/**
 * Go's net.ParseIP: strict dotted-quad IPv4 (no leading zeros, no octal or hex forms) or IPv6
 * without a zone. An IPv4-mapped IPv6 address is an IPv4 address to Go (To4() != nil), so it is
 * returned as IPv4; that keeps the address family the same as Calico sees it.
 */
// What a dotted quad can look like: ipaddr.js's own check throws (and builds a stack trace) inside
// for everything else, which cost a set of a thousand IPv6 peers a fifth of a second per read.
const DOTTED_QUAD = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

// Addresses by text, parsed once: a set's peers share a few ToR addresses, which every check,
// decode and name parses again (a fifth of a thousand-peer set's check). Bounded, since a provider
// process can serve many ups. An IP from here is shared: read it, never change it.
const parsed = new Map<string, IP | undefined>();
const MAX_PARSED = 10_000;

export function parseIP(text: string): IP | undefined {
  const known = parsed.get(text);
  if (known !== undefined || parsed.has(text)) return known;
  const ip = parseUncached(text);
  if (parsed.size >= MAX_PARSED) parsed.clear();
  parsed.set(text, ip);
  return ip;
}

function parseUncached(text: string): IP | undefined {
  if (DOTTED_QUAD.test(text) && ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text);
  if (text.includes("%") || !ipaddr.IPv6.isValid(text)) return undefined;
  // ipaddr.js accepts a few forms Go rejects; Go accepts only hex groups, "::" and a trailing dotted quad.
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  const v6 = ipaddr.IPv6.parse(text);
  if (text.includes(".")) {
    const tail = text.slice(text.lastIndexOf(":") + 1);
    if (!DOTTED_QUAD.test(tail) || !ipaddr.IPv4.isValidFourPartDecimal(tail)) return undefined;
  }
  return v6.isIPv4MappedAddress() ? v6.toIPv4Address() : v6;
}

const formatted = new WeakMap<IP, string>();

/** Canonical text: Go's net.IP.String(), i.e. RFC 5952 for IPv6 (lower case, longest zero run compressed). */
export function formatIP(ip: IP): string {
  let text = formatted.get(ip);
  if (text === undefined) {
    text = ip.kind() === "ipv6" ? (ip as ipaddr.IPv6).toRFC5952String() : ip.toString();
    formatted.set(ip, text);
  }
  return text;
}

// validator.go IPv4PortFormat and IPv6PortFormat. The dots in the IPv4 pattern are unescaped in
// Calico's source; net.ParseIP on the host catches what that lets through.
const IPV4_PORT = /^(\d+).(\d+).(\d+).(\d+):(\d+)$/;
const IPV6_PORT = /^\[[0-9a-fA-F:.]+\]:(\d+)$/;

export interface PeerAddress {
  ip: IP;
  port?: number;
}

/** processIPPort: "<IP>", "<IPv4>:<port>" or "[<IPv6>]:<port>", port 1-65535. */
export function parsePeerIP(field: string, value: string): PeerAddress {
  const rule = `must be "<IPv4>", "<IPv6>", "<IPv4>:<port>" or "[<IPv6>]:<port>" with a port from 1 to 65535`;
  let host = value;
  let port: number | undefined;
  if (IPV4_PORT.test(value) || IPV6_PORT.test(value)) {
    const colon = value.lastIndexOf(":");
    host = value.slice(0, colon);
    const portText = value.slice(colon + 1);
    if (host.startsWith("[")) host = host.slice(1, -1);
    else if (host.includes(":")) throw new RuleError(field, `${show(value)} is not a valid peer address: it ${rule}`);
    port = Number(portText);
    if (!/^[0-9]+$/.test(portText) || port < 1 || port > 65535) {
      throw new RuleError(field, `${show(value)} has an invalid port: the port must be from 1 to 65535`);
    }
  }
  const ip = parseIP(host);
  if (!ip) throw new RuleError(field, `${show(value)} is not a valid peer address: it ${rule}`);
  return { ip, port };
}

export function formatPeerIP(addr: PeerAddress): string {
  const ip = formatIP(addr.ip);
  if (addr.port === undefined) return ip;
  return addr.ip.kind() === "ipv6" ? `[${ip}]:${addr.port}` : `${ip}:${addr.port}`;
}
