import type { Command, Option } from "commander";

/**
 * Shell completion, built from the program's own commands and options so that it cannot fall
 * behind them. One bash function serves both shells: zsh runs it under bashcompinit, as it does
 * for other tools that ship one script (the function sticks to what bashcompinit emulates:
 * COMP_WORDS, COMP_CWORD, compgen, COMPREPLY).
 */

/** Options that take a file or directory name. */
const PATH_OPTIONS = new Set(["--filename", "--config", "--out"]);

function flags(o: Option): string[] {
  return [o.short, o.long].filter((f): f is string => typeof f === "string");
}

/** Words of a shell script's `case` pattern (flags and names hold no shell metacharacters). */
const pattern = (words: string[]) => words.join("|");

function bashFunction(p: Command, firstWords: Record<string, string[]>): string {
  const commands = p.commands.filter((c) => c.name() !== "help");
  const names = [...commands.map((c) => c.name()), "help"];
  const global = [...p.options.flatMap(flags), "-h", "--help"];
  const lines = [
    "_calico_bgppeer() {",
    // bashcompinit hands zsh's 1-based COMP_WORDS with bash's 0-based COMP_CWORD.
    '  [ -n "${ZSH_VERSION:-}" ] && setopt localoptions ksharrays',
    '  local cur="${COMP_WORDS[COMP_CWORD]}" prev="" cmd="" i',
    '  [ "$COMP_CWORD" -gt 0 ] && prev="${COMP_WORDS[COMP_CWORD-1]}"',
    '  for ((i = 1; i < COMP_CWORD; i++)); do case "${COMP_WORDS[i]}" in -*) ;; *) cmd="${COMP_WORDS[i]}"; break ;; esac; done',
    '  case "$cmd" in',
    `    "") COMPREPLY=($(compgen -W "${[...names, ...global].join(" ")}" -- "$cur")); return ;;`,
  ];
  for (const c of commands) {
    const opts = [...c.options.flatMap(flags), "--help"];
    const valued = c.options.filter((o) => o.required || o.optional);
    lines.push(`    ${c.name()})`);
    lines.push('      case "$prev" in');
    for (const o of valued) {
      const choices = (o as Option & { argChoices?: string[] }).argChoices;
      if (choices) lines.push(`        ${pattern(flags(o))}) COMPREPLY=($(compgen -W "${choices.join(" ")}" -- "$cur")); return ;;`);
      else if (o.long && PATH_OPTIONS.has(o.long)) lines.push(`        ${pattern(flags(o))}) COMPREPLY=($(compgen -f -- "$cur")); return ;;`);
      else lines.push(`        ${pattern(flags(o))}) return ;;`);
    }
    lines.push("      esac");
    lines.push(`      if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "${opts.join(" ")}" -- "$cur")); return; fi`);
    // The first argument of a command that takes a fixed word (get's resource, completion's
    // shell), unless one was given: the words after the command, skipping options' values.
    const first = firstWords[c.name()];
    if (first) {
      const skip = valued.length ? `${pattern(valued.flatMap(flags))}) ((i++)) ;; ` : "";
      lines.push(`      for ((i = i + 1; i < COMP_CWORD; i++)); do case "\${COMP_WORDS[i]}" in ${skip}-*) ;; *) return ;; esac; done`);
      lines.push(`      COMPREPLY=($(compgen -W "${first.join(" ")}" -- "$cur"))`);
    }
    lines.push("      ;;");
  }
  lines.push(`    help) COMPREPLY=($(compgen -W "${commands.map((c) => c.name()).join(" ")}" -- "$cur")) ;;`);
  lines.push("  esac", "}");
  return lines.join("\n");
}

/**
 * The script for `shell`, to be sourced (see `calico-bgppeer completion --help`). `firstWords`:
 * the words a command's first argument can be.
 */
export function completionScript(p: Command, shell: "bash" | "zsh", firstWords: Record<string, string[]>): string {
  const body = bashFunction(p, firstWords);
  if (shell === "bash") {
    return `# calico-bgppeer completion for bash: source <(calico-bgppeer completion bash)\n${body}\ncomplete -o default -F _calico_bgppeer calico-bgppeer\n`;
  }
  return [
    "# calico-bgppeer completion for zsh: source <(calico-bgppeer completion zsh), after compinit",
    "autoload -U +X bashcompinit && bashcompinit",
    body,
    "complete -o default -F _calico_bgppeer calico-bgppeer",
    "",
  ].join("\n");
}
