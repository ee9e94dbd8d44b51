import { RuleError, show } from "./errors";

/**
 * Calico's selector language (libcalico-go/lib/selector/tokenizer and parser), ported so that we
 * accept exactly what Calico's "selector" validator accepts, and print the canonical form Calico's
 * Selector.String() gives, so that two spellings of the same selector never show a diff.
 */
type Tok =
  | { k: "label" | "str" | "has"; v: string }
  | {
      k: "(" | ")" | "{" | "}" | "," | "==" | "!=" | "!" | "&&" | "||" | "in" | "not in" | "contains" | "starts with" | "ends with" | "all" | "global" | "eof";
    };

const WS = /^[ \t]*/;
const IDENT = /^[a-zA-Z0-9_./-]+/;

function tokenize(input: string): Tok[] {
  const toks: Tok[] = [];
  let s = input;
  const fail = (why: string) => {
    throw new Error(why);
  };
  for (;;) {
    s = s.replace(WS, "");
    if (s === "") {
      toks.push({ k: "eof" });
      return toks;
    }
    const last = toks.length ? toks[toks.length - 1].k : undefined;
    const c = s[0];
    if (c === "(" || c === ")" || c === "{" || c === "}" || c === ",") {
      toks.push({ k: c });
      s = s.slice(1);
    } else if (c === '"' || c === "'") {
      const end = s.indexOf(c, 1);
      if (end < 0) fail("unterminated string");
      toks.push({ k: "str", v: s.slice(1, end) });
      s = s.slice(end + 1);
    } else if (c === "=") {
      if (s[1] !== "=") fail("expected ==");
      toks.push({ k: "==" });
      s = s.slice(2);
    } else if (c === "!") {
      if (s[1] === "=") {
        toks.push({ k: "!=" });
        s = s.slice(2);
      } else {
        toks.push({ k: "!" });
        s = s.slice(1);
      }
    } else if (c === "&" || c === "|") {
      if (s[1] !== c) fail(`expected ${c}${c}`);
      toks.push({ k: c === "&" ? "&&" : "||" });
      s = s.slice(2);
    } else if (last === "label") {
      // After a label only an operator word may follow (tokenizer.go uses HasPrefix, not word boundaries).
      const afterLabel = (): Tok => {
        if (s.startsWith("contains")) {
          s = s.slice(8);
          return { k: "contains" };
        }
        for (const [word, k] of [
          ["starts", "starts with"],
          ["ends", "ends with"],
          ["not", "not in"],
        ] as const) {
          if (s.startsWith(word)) {
            s = s.slice(word.length).replace(WS, "");
            const second = k.split(" ")[1];
            if (!s.startsWith(second)) fail("unexpected characters after label, was expecting an operator");
            s = s.slice(second.length);
            return { k };
          }
        }
        if (s.startsWith("in")) {
          s = s.slice(2);
          return { k: "in" };
        }
        return fail("unexpected characters after label, was expecting an operator");
      };
      toks.push(afterLabel());
    } else if (s.startsWith("has(")) {
      s = s.slice(4).replace(WS, "");
      const id = IDENT.exec(s)?.[0];
      if (!id) fail("no label name in has( expression");
      s = s.slice(id!.length).replace(WS, "");
      if (!s.startsWith(")")) fail("no closing ')' after has(");
      toks.push({ k: "has", v: id! });
      s = s.slice(1);
    } else if (s.startsWith("all(") || s.startsWith("global(")) {
      const k = s.startsWith("all(") ? "all" : "global";
      s = s.slice(k.length + 1).replace(WS, "");
      if (!s.startsWith(")")) fail(`no closing ')' after ${k}(`);
      toks.push({ k });
      s = s.slice(1);
    } else {
      const id = IDENT.exec(s)?.[0];
      if (!id) fail("unexpected characters");
      toks.push({ k: "label", v: id! });
      s = s.slice(id!.length);
    }
  }
}

function quote(v: string): string {
  return v.includes('"') ? `'${v}'` : `"${v}"`;
}

/** A parsed selector: Calico's canonical text (Selector.String()) and its evaluation on a label set (ast.go Evaluate). */
export interface Selector {
  text: string;
  matches(labels: Readonly<Record<string, string>>): boolean;
}

type Labels = Readonly<Record<string, string>>;
const has = (l: Labels, k: string) => Object.hasOwn(l, k);

const BINARY: Record<string, [string, (v: string, lit: string) => boolean]> = {
  "==": [" == ", (v, lit) => v === lit],
  "!=": [" != ", (v, lit) => v === lit],
  contains: [" contains ", (v, lit) => v.includes(lit)],
  "starts with": [" starts with ", (v, lit) => v.startsWith(lit)],
  "ends with": [" ends with ", (v, lit) => v.endsWith(lit)],
};

// The label Calico's global() tests for: a namespaced object carries it.
const NAMESPACE_LABEL = "projectcalico.org/namespace";

/** Returns [node, remaining tokens]. */
function parseOr(toks: Tok[]): [Selector, Tok[]] {
  const parts: Selector[] = [];
  let [node, rest] = parseAnd(toks);
  parts.push(node);
  while (rest[0].k === "||") {
    [node, rest] = parseAnd(rest.slice(1));
    parts.push(node);
  }
  if (parts.length === 1) return [parts[0], rest];
  return [{ text: `(${parts.map((p) => p.text).join(" || ")})`, matches: (l) => parts.some((p) => p.matches(l)) }, rest];
}

function parseAnd(toks: Tok[]): [Selector, Tok[]] {
  const parts: Selector[] = [];
  let [node, rest] = parseOperation(toks);
  parts.push(node);
  while (rest[0].k === "&&") {
    [node, rest] = parseOperation(rest.slice(1));
    parts.push(node);
  }
  if (parts.length === 1) return [parts[0], rest];
  return [{ text: `(${parts.map((p) => p.text).join(" && ")})`, matches: (l) => parts.every((p) => p.matches(l)) }, rest];
}

function parseOperation(input: Tok[]): [Selector, Tok[]] {
  let toks = input;
  let negated = false;
  while (toks[0].k === "!") {
    negated = !negated;
    toks = toks.slice(1);
  }
  let node: Selector;
  let rest: Tok[];
  const t = toks[0];
  if (t.k === "has") {
    const k = t.v;
    node = { text: `has(${k})`, matches: (l) => has(l, k) };
    rest = toks.slice(1);
  } else if (t.k === "all" || t.k === "global") {
    node = { text: `${t.k}()`, matches: t.k === "all" ? () => true : (l) => !has(l, NAMESPACE_LABEL) };
    rest = toks.slice(1);
  } else if (t.k === "label") {
    if (toks.length < 3) throw new Error("unexpected end of string looking for op");
    const op = toks[1].k;
    const lit = toks[2];
    const k = t.v;
    if (op in BINARY) {
      if (lit.k !== "str") throw new Error("expected string");
      const [spelled, test] = BINARY[op];
      const v = lit.v;
      // != is the negation of ==, so a missing label matches it (ast.go LabelNeValueNode).
      node = {
        text: `${k}${spelled}${quote(v)}`,
        matches: op === "!=" ? (l) => !(has(l, k) && test(l[k], v)) : (l) => has(l, k) && test(l[k], v),
      };
      rest = toks.slice(3);
    } else if (op === "in" || op === "not in") {
      if (lit.k !== "{") throw new Error("expected set literal");
      rest = toks.slice(3);
      const values = new Set<string>();
      while (rest[0].k === "str") {
        values.add((rest[0] as { v: string }).v);
        rest = rest.slice(1);
        if (rest[0].k === ",") rest = rest.slice(1);
        else break;
      }
      if (rest[0].k !== "}") throw new Error("expected }");
      rest = rest.slice(1);
      const inSet = (l: Labels) => has(l, k) && values.has(l[k]);
      node = { text: `${k} ${op} {${[...values].sort().map(quote).join(", ")}}`, matches: op === "in" ? inSet : (l) => !inSet(l) };
    } else {
      throw new Error(`expected == or != not: ${op}`);
    }
  } else if (t.k === "(") {
    [node, rest] = parseOr(toks.slice(1));
    if (rest[0].k !== ")") throw new Error("expected )");
    rest = rest.slice(1);
  } else {
    throw new Error(`unexpected token: ${t.k}`);
  }
  if (!negated) return [node, rest];
  const inner = node;
  return [{ text: `!${inner.text}`, matches: (l) => !inner.matches(l) }, rest];
}

/**
 * How deep parentheses may nest. Calico's parser recurses on Go's growable stacks and takes any
 * depth; ours recurses on Node's fixed one, so deeper selectors get a clear error instead of a stack
 * overflow (docs/calico.md, "Deliberate differences").
 */
export const MAX_SELECTOR_DEPTH = 256;

function nesting(toks: Tok[]): number {
  let depth = 0;
  let max = 0;
  for (const t of toks) {
    if (t.k === "(") max = Math.max(max, ++depth);
    else if (t.k === ")") depth--;
  }
  return max;
}

/** The canonical form of a valid selector, or a RuleError naming Calico's parse error. */
export function canonicalSelector(field: string, value: string): string {
  return parseSelector(field, value).text;
}

/** A valid selector, parsed, or a RuleError naming Calico's parse error. */
export function parseSelector(field: string, value: string): Selector {
  try {
    const toks = tokenize(value);
    if (toks[0].k === "eof") return { text: "all()", matches: () => true };
    const depth = nesting(toks);
    if (depth > MAX_SELECTOR_DEPTH) {
      throw new RuleError(field, `${show(value)} nests parentheses ${depth} deep: BgpPeer takes selectors nested at most ${MAX_SELECTOR_DEPTH} deep`);
    }
    const [node, rest] = parseOr(toks);
    if (rest.length !== 1) throw new Error("unexpected content at end of selector");
    return node;
  } catch (e) {
    if (e instanceof RuleError) throw e;
    throw new RuleError(field, `${show(value)} is not a valid Calico selector: ${(e as Error).message}`);
  }
}
