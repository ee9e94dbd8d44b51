import { RuleError, show } from "./errors";

// numorstring.ASNumber is a uint32; 0 means "unset" for asNumber (omitempty).
export const MAX_ASN = 4294967295;

const DECIMAL = /^[0-9]+$/;

/**
 * Parse an AS number the way numorstring.ASNumber.UnmarshalJSON does: a JSON number that fits a
 * uint32, a decimal string (ParseUint base 10, 32 bits), or dotted "hi.lo" with each half a
 * 16-bit ParseUint. Leading zeros are accepted ("00.01" is 1) because ParseUint accepts them.
 */
export function parseAsn(field: string, value: unknown): number {
  if (typeof value === "number") {
    if (Number.isInteger(value) && value >= 0 && value <= MAX_ASN) return value;
    throw new RuleError(field, `${show(value)} is not a valid AS number: it must be an integer from 0 to ${MAX_ASN}`);
  }
  if (typeof value === "string") {
    if (DECIMAL.test(value)) {
      const n = Number(value);
      if (n <= MAX_ASN) return n;
    } else {
      const parts = value.split(".");
      if (parts.length === 2 && parts.every((p) => DECIMAL.test(p) && Number(p) <= 65535)) {
        return Number(parts[0]) * 65536 + Number(parts[1]);
      }
    }
    throw new RuleError(field, `${show(value)} is not a valid AS number: use a decimal from 0 to ${MAX_ASN} or dotted "hi.lo" with each half from 0 to 65535`);
  }
  throw new RuleError(field, `${show(value)} is not a valid AS number: expected a number or a string`);
}
