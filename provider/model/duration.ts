import { RuleError, show } from "./errors";

// Go's time.ParseDuration and time.Duration.String(), which metav1.Duration uses for JSON.
const UNIT_NS: Record<string, bigint> = {
  ns: 1n,
  us: 1000n,
  µs: 1000n, // U+00B5
  μs: 1000n, // U+03BC
  ms: 1000000n,
  s: 1000000000n,
  m: 60000000000n,
  h: 3600000000000n,
};
const MAX_NS = (1n << 63n) - 1n;
const FORMAT = `a Go duration such as "90s", "2m0s" or "1h30m"`;

/** Nanoseconds, exactly, or a RuleError. Negative durations are rejected: they mean nothing for BGP timers. */
export function parseDuration(field: string, value: string): bigint {
  const bad = () => new RuleError(field, `${show(value)} is not a valid duration: expected ${FORMAT}`);
  let s = value;
  let negative = false;
  if (s.startsWith("-") || s.startsWith("+")) {
    negative = s[0] === "-";
    s = s.slice(1);
  }
  if (s === "0") return 0n;
  if (s === "") throw bad();
  let total = 0n;
  const term = /^([0-9]*)(?:\.([0-9]*))?([^0-9.]+)/;
  while (s !== "") {
    const m = term.exec(s);
    if (!m || (m[1] === "" && (m[2] === undefined || m[2] === ""))) throw bad();
    // Like Go, the unit is every character up to the next digit or '.', and must be known whole.
    const unitText = m[3];
    const unit = Object.hasOwn(UNIT_NS, unitText) ? UNIT_NS[unitText] : undefined;
    if (unit === undefined) throw bad();
    const whole = BigInt(m[1] === "" ? "0" : m[1]);
    let ns = whole * unit;
    if (m[2]) {
      // Go keeps the fraction exact to the nanosecond, truncating beyond it.
      const scale = 10n ** BigInt(m[2].length);
      ns += (BigInt(m[2]) * unit) / scale;
    }
    total += ns;
    if (total > MAX_NS) throw new RuleError(field, `${show(value)} is out of range: a Go duration is at most 2562047h47m16.854775807s`);
    s = s.slice(m[1].length + (m[2] !== undefined ? m[2].length + 1 : 0) + unitText.length);
  }
  if (negative && total !== 0n) throw new RuleError(field, `${show(value)} is negative: a BGP timer must be zero or positive`);
  return total;
}

function fraction(v: bigint, digits: number): string {
  const text = v.toString().padStart(digits, "0").replace(/0+$/, "");
  return text === "" ? "" : `.${text}`;
}

/** time.Duration.String() for a non-negative duration: "0s", "1.5ms", "2m0s", "1h0m0s". */
export function formatDuration(ns: bigint): string {
  if (ns === 0n) return "0s";
  if (ns < 1000n) return `${ns}ns`;
  if (ns < 1000000n) return `${ns / 1000n}${fraction(ns % 1000n, 3)}µs`;
  if (ns < 1000000000n) return `${ns / 1000000n}${fraction(ns % 1000000n, 6)}ms`;
  const h = ns / 3600000000000n;
  const m = (ns / 60000000000n) % 60n;
  const s = (ns / 1000000000n) % 60n;
  const secs = `${s}${fraction(ns % 1000000000n, 9)}s`;
  if (h > 0n) return `${h}h${m}m${secs}`;
  if (m > 0n) return `${m}m${secs}`;
  return secs;
}

/** Parse then print: the canonical form Calico stores. */
export function normalizeDuration(field: string, value: string): string {
  return formatDuration(parseDuration(field, value));
}
