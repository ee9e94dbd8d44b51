/**
 * YAML as calicoctl prints it: its JSON through ghodss/yaml into go-yaml v2's encoder. For the data
 * a BGPPeer holds (maps with string keys, sequences, strings, numbers, booleans) this follows
 * go-yaml v2: keys in its "natural" order (sorter.go), sequences not indented below their key,
 * each string in the style go-yaml picks (encode.go stringv, emitter.go select_scalar_style), and
 * long strings folded at a space once a line passes 80 columns (emitter.go best_width).
 */

type Value = string | number | boolean | null | undefined | Value[] | { [k: string]: Value };

const BEST_WIDTH = 80;

const isLetter = (c: string) => /\p{L}/u.test(c);
const isDigit = (c: string) => c >= "0" && c <= "9";

/** go-yaml v2 keyList.Less for two string keys. */
export function naturalLess(a: string, b: string): boolean {
  const ar = [...a];
  const br = [...b];
  for (let i = 0; i < ar.length && i < br.length; i++) {
    if (ar[i] === br[i]) continue;
    const al = isLetter(ar[i]);
    const bl = isLetter(br[i]);
    if (al && bl) return ar[i] < br[i];
    if (al || bl) return bl;
    let an = 0n;
    let bn = 0n;
    if (ar[i] === "0" || br[i] === "0") {
      for (let j = i - 1; j >= 0 && isDigit(ar[j]); j--) {
        if (ar[j] !== "0") {
          an = 1n;
          bn = 1n;
          break;
        }
      }
    }
    let ai = i;
    let bi = i;
    for (; ai < ar.length && isDigit(ar[ai]); ai++) an = an * 10n + BigInt(ar[ai].charCodeAt(0) - 48);
    for (; bi < br.length && isDigit(br[bi]); bi++) bn = bn * 10n + BigInt(br[bi].charCodeAt(0) - 48);
    if (an !== bn) return an < bn;
    if (ai !== bi) return ai < bi;
    return ar[i] < br[i];
  }
  return ar.length < br.length;
}

/** naturalLess as a sort comparator: host2 before host10, as calicoctl's YAML orders keys. */
export function naturalCompare(a: string, b: string): number {
  return naturalLess(a, b) ? -1 : naturalLess(b, a) ? 1 : 0;
}

// go-yaml v2 resolve.go: the plain scalars that resolve to something other than a string.
const RESOLVE_SPECIAL = new Set([
  "",
  "~",
  "null",
  "Null",
  "NULL",
  ".nan",
  ".NaN",
  ".NAN",
  ".inf",
  ".Inf",
  ".INF",
  "+.inf",
  "+.Inf",
  "+.INF",
  "-.inf",
  "-.Inf",
  "-.INF",
  "y",
  "Y",
  "yes",
  "Yes",
  "YES",
  "n",
  "N",
  "no",
  "No",
  "NO",
  "true",
  "True",
  "TRUE",
  "false",
  "False",
  "FALSE",
  "on",
  "On",
  "ON",
  "off",
  "Off",
  "OFF",
  "<<",
]);
const YAML_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const GO_INT = /^[-+]?(0[xX][0-9a-fA-F]+|0[oO]?[0-7]*|0[bB][01]+|[1-9][0-9]*)$/;
const BASE60_FLOAT = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;
const TIMESTAMP = /^\d{4}-\d\d?-\d\d?(?:(?:[Tt]|[ \t]+)\d\d?:\d\d:\d\d(?:\.\d*)?(?:[ \t]*(?:Z|[-+]\d\d?(?::\d\d)?))?)?$/;

/** Whether go-yaml v2 would read `s`, written plain, as anything but this string. */
function resolvesOtherwise(s: string): boolean {
  if (RESOLVE_SPECIAL.has(s)) return true;
  if (!/^[-+.0-9]/.test(s)) return false;
  const plain = s.replace(/_/g, "");
  return GO_INT.test(plain) || YAML_FLOAT.test(plain) || BASE60_FLOAT.test(s) || TIMESTAMP.test(s);
}

/** go-yaml's is_printable, per character. */
function printable(c: string): boolean {
  const n = c.codePointAt(0)!;
  return (
    n === 0x0a ||
    (n >= 0x20 && n <= 0x7e) ||
    n === 0x85 ||
    (n >= 0xa0 && n <= 0xd7ff) ||
    (n >= 0xe000 && n <= 0xfffd && n !== 0xfeff) ||
    (n >= 0x10000 && n <= 0x10ffff)
  );
}

/** emitter.go analyze_scalar, reduced to what select_scalar_style asks of a block value or key. */
function analyze(s: string): { plain: boolean; single: boolean } {
  if (s === "") return { plain: false, single: false };
  const chars = [...s];
  let special = false;
  let lineBreaks = false;
  let blockIndicators = false;
  let leadingSpace = false;
  let trailingSpace = false;
  let breakSpace = false;
  let spaceBreak = false;
  let prevSpace = false;
  let prevBreak = false;
  if (s.startsWith("---") || s.startsWith("...")) blockIndicators = true;
  let precededByWhitespace = true;
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    const next = chars[i + 1];
    const followedByWhitespace = next === undefined || next === " " || next === "\t" || next === "\n" || next === "\r";
    if (i === 0) {
      if ("#,[]{}&*!|>'\"%@`".includes(c)) blockIndicators = true;
      if ((c === "?" || c === ":" || c === "-") && followedByWhitespace) blockIndicators = true;
    } else {
      if (c === ":" && followedByWhitespace) blockIndicators = true;
      if (c === "#" && precededByWhitespace) blockIndicators = true;
    }
    if (!printable(c)) special = true;
    if (c === "\n") lineBreaks = true;
    if (c === " ") {
      if (i === 0) leadingSpace = true;
      if (i === chars.length - 1) trailingSpace = true;
      if (prevBreak) breakSpace = true;
      prevSpace = true;
      prevBreak = false;
    } else if (c === "\n") {
      if (prevSpace) spaceBreak = true;
      prevSpace = false;
      prevBreak = true;
    } else {
      prevSpace = false;
      prevBreak = false;
    }
    precededByWhitespace = c === " " || c === "\t" || c === "\n";
  }
  let plain = true;
  let single = true;
  if (leadingSpace || trailingSpace || breakSpace || special) plain = false;
  if (spaceBreak || special) {
    plain = false;
    single = false;
  }
  if (lineBreaks) plain = false;
  // Block context only: flow indicators (",", "[", …) inside a string do not stop a plain value.
  if (blockIndicators) plain = false;
  return { plain, single };
}

type Style = "plain" | "single" | "double" | "literal";

function styleOf(s: string, isKey: boolean): Style {
  // encode.go stringv: a string that would read back as another type is double-quoted; one with a
  // line break is a literal block (as a value).
  let style: Style = resolvesOtherwise(s) ? "double" : !isKey && s.includes("\n") ? "literal" : "plain";
  const a = analyze(s);
  if (style === "plain" && !a.plain) style = "single";
  if (style === "single" && (!a.single || (isKey && s.includes("\n")))) style = "double";
  if (style === "literal" && (isKey || !a.single)) style = "double";
  return style;
}

function escapeDouble(c: string): string {
  switch (c) {
    case "\0":
      return "\\0";
    case "\x07":
      return "\\a";
    case "\b":
      return "\\b";
    case "\t":
      return "\\t";
    case "\n":
      return "\\n";
    case "\x0b":
      return "\\v";
    case "\f":
      return "\\f";
    case "\r":
      return "\\r";
    case "\x1b":
      return "\\e";
    case '"':
      return '\\"';
    case "\\":
      return "\\\\";
    case "\x85":
      return "\\N";
    case "\xa0":
      return "\\_";
    case "\u2028":
      return "\\L";
    case "\u2029":
      return "\\P";
  }
  if (printable(c) && c !== "\ufeff") return c;
  const n = c.codePointAt(0)!;
  if (n <= 0xff) return `\\x${n.toString(16).toUpperCase().padStart(2, "0")}`;
  if (n <= 0xffff) return `\\u${n.toString(16).toUpperCase().padStart(4, "0")}`;
  return `\\U${n.toString(16).toUpperCase().padStart(8, "0")}`;
}

/** A scalar written from `column` on; continuation lines start at `indent`. */
function scalar(s: string, column: number, indent: number, isKey: boolean): string {
  const style = styleOf(s, isKey);
  const breaks = !isKey;
  let out = "";
  let col = column;
  const newline = () => {
    out += `\n${" ".repeat(indent)}`;
    col = indent;
  };
  const chars = [...s];
  if (style === "literal") {
    const chomp = s.endsWith("\n") ? (s.endsWith("\n\n") ? "+" : "") : "-";
    const lead = s.startsWith(" ") || s.startsWith("\n") ? "2" : "";
    out += `|${lead}${chomp}`;
    for (const line of (s.endsWith("\n") ? s.slice(0, -1) : s).split("\n")) out += line === "" ? "\n" : `\n${" ".repeat(indent)}${line}`;
    return out;
  }
  if (style === "plain") {
    let spaces = false;
    for (let i = 0; i < chars.length; i++) {
      const c = chars[i];
      if (c === " ") {
        if (breaks && !spaces && col > BEST_WIDTH && chars[i + 1] !== " ") newline();
        else {
          out += c;
          col++;
        }
        spaces = true;
      } else {
        out += c;
        col++;
        spaces = false;
      }
    }
    return out;
  }
  if (style === "single") {
    out += "'";
    col++;
    let spaces = false;
    for (let i = 0; i < chars.length; i++) {
      const c = chars[i];
      if (c === " ") {
        if (breaks && !spaces && col > BEST_WIDTH && i > 0 && i < chars.length - 1 && chars[i + 1] !== " ") newline();
        else {
          out += c;
          col++;
        }
        spaces = true;
      } else {
        out += c === "'" ? "''" : c;
        col += c === "'" ? 2 : 1;
        spaces = false;
      }
    }
    return `${out}'`;
  }
  out += '"';
  col++;
  let spaces = false;
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (c === " ") {
      if (breaks && !spaces && col > BEST_WIDTH && i > 0 && i < chars.length - 1) {
        newline();
        if (chars[i + 1] === " ") {
          out += "\\";
          col++;
        }
      } else {
        out += c;
        col++;
      }
      spaces = true;
    } else {
      const e = escapeDouble(c);
      out += e;
      col += [...e].length;
      spaces = false;
    }
  }
  return `${out}"`;
}

function scalarText(v: Value, column: number, indent: number, isKey = false): string {
  if (typeof v === "string") return scalar(v, column, indent, isKey);
  // A BGPPeer holds integers only (AS numbers, counts); Go prints them as JavaScript does.
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return "null";
}

const isMap = (v: Value): v is { [k: string]: Value } => typeof v === "object" && v !== null && !Array.isArray(v);

/** Lines of a block mapping at `indent`; the first may continue a "- " already written. */
function mapping(m: { [k: string]: Value }, indent: number, firstColumn: number): string {
  const keys = Object.keys(m)
    .filter((k) => m[k] !== undefined)
    .sort(naturalCompare);
  let out = "";
  keys.forEach((k, i) => {
    const startCol = i === 0 ? firstColumn : indent;
    if (i > 0) out += " ".repeat(indent);
    const key = scalarText(k, startCol, indent, true);
    out += `${key}:`;
    const col = startCol + [...key].length + 1;
    out += value(m[k], indent, col);
  });
  return out;
}

/** A value after "key:" (at `column`), ending with a newline. */
function value(v: Value, indent: number, column: number): string {
  if (isMap(v)) return Object.keys(v).length ? `\n${" ".repeat(indent + 2)}${mapping(v, indent + 2, indent + 2)}` : " {}\n";
  if (Array.isArray(v)) return v.length ? `\n${sequence(v, indent)}` : " []\n";
  return ` ${scalarText(v, column + 1, indent + 2)}\n`;
}

function sequence(items: Value[], indent: number): string {
  let out = "";
  for (const item of items) {
    out += `${" ".repeat(indent)}- `;
    if (isMap(item)) out += Object.keys(item).length ? mapping(item, indent + 2, indent + 2) : "{}\n";
    else if (Array.isArray(item)) out += item.length ? sequence(item, indent + 2).trimStart() : "[]\n";
    else out += `${scalarText(item, indent + 2, indent + 2)}\n`;
  }
  return out;
}

export function goYaml(v: unknown): string {
  const x = v as Value;
  if (isMap(x)) return Object.keys(x).length ? mapping(x, 0, 0) : "{}\n";
  if (Array.isArray(x)) return x.length ? sequence(x, 0) : "[]\n";
  return `${scalarText(x, 0, 0)}\n`;
}
