// The man page and the shell completions, made from the command definitions
// themselves (commander's tree), so they say what the program takes and can
// never drift from it: `ucprobe completion bash|zsh` prints a script, and the
// build writes man/ucprobe.1 and completions/ (write-docs.ts).

import type { Command, Option } from 'commander';
import { UCPROBE_VERSION } from '../version.js';

/** A command with its path below the program ("sip calls"). */
interface CommandEntry {
  path: string;
  cmd: Command;
}

function visibleOptions(cmd: Command): Option[] {
  return cmd.options.filter((o) => !o.hidden);
}

/** Every command below the program, depth first, in definition order (help left out). */
export function commandTree(program: Command): CommandEntry[] {
  const out: CommandEntry[] = [];
  const walk = (cmd: Command, prefix: string): void => {
    for (const sub of cmd.commands) {
      if (sub.name() === 'help') continue;
      const path = prefix ? `${prefix} ${sub.name()}` : sub.name();
      out.push({ path, cmd: sub });
      walk(sub, path);
    }
  };
  walk(program, '');
  return out;
}

function usageLine(entry: CommandEntry): string {
  const args = entry.cmd.registeredArguments.map((a) => {
    const name = `${a.name()}${a.variadic ? '...' : ''}`;
    return a.required ? `<${name}>` : `[${name}]`;
  });
  return [entry.path, entry.cmd.options.length ? '[options]' : '', entry.cmd.commands.length ? '<command>' : '', ...args].filter(Boolean).join(' ');
}

// ---------------------------------------------------------------- man page

/** Text for roff: backslashes shown as such, a line never starting a request, dashes kept as minus signs. */
function roff(text: string): string {
  return text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .split('\n')
    .map((l) => (/^[.']/.test(l) ? `\\&${l}` : l))
    .join('\n');
}

function optionNotes(o: Option): string {
  const notes: string[] = [];
  if (o.argChoices) notes.push(`one of: ${o.argChoices.join(', ')}`);
  if (o.defaultValue !== undefined && typeof o.defaultValue !== 'boolean') notes.push(`default: ${Array.isArray(o.defaultValue) ? o.defaultValue.join(',') : String(o.defaultValue)}`);
  return notes.length ? ` (${notes.join('; ')})` : '';
}

/** The whole manual page, roff (man(7) macros). */
export function manPage(program: Command): string {
  const lines: string[] = [
    `.TH UCPROBE 1 "" "ucprobe ${UCPROBE_VERSION}" "User Commands"`,
    '.SH NAME',
    `ucprobe \\- ${roff(program.description())}`,
    '.SH SYNOPSIS',
    '.B ucprobe',
    '.I command',
    '[\\fIoptions\\fR] [\\fIarguments\\fR]',
    '.br',
    '.B ucprobe',
    '.I command',
    '.B \\-\\-help',
    '.SH DESCRIPTION',
    'Each command below takes its own options; \\fBucprobe\\fR \\fIcommand\\fR \\fB\\-\\-help\\fR prints them.',
    'Text taken from packets is escaped in every output.',
    '.SH COMMANDS',
  ];
  for (const e of commandTree(program)) {
    lines.push(`.SS "${roff(`ucprobe ${usageLine(e)}`)}"`, roff(e.cmd.description()));
    for (const a of e.cmd.registeredArguments) {
      if (!a.description) continue;
      lines.push('.TP', `.I ${roff(a.name())}`, roff(a.description));
    }
    for (const o of visibleOptions(e.cmd)) lines.push('.TP', `.B ${roff(o.flags)}`, roff(`${o.description}${optionNotes(o)}`));
  }
  lines.push(
    '.SH "EXIT STATUS"',
    '0: done, nothing asked of \\fB\\-\\-fail\\-on\\fR found; 1: a \\fB\\-\\-fail\\-on\\fR condition found; 2: bad input or usage (one line on stderr names it); 130: interrupted (a partial report was written).',
    '.SH FILES',
    'The JSON schema of \\fBanalyze \\-\\-json\\fR: src/output/analyze.schema.json; the protobuf schema: src/pb/ucprobe.proto (both in the package).',
    '.SH "SEE ALSO"',
    '.BR tshark (1),',
    '.BR tcpdump (1),',
    '.BR sngrep (8),',
    '.BR sipp (1)',
    '',
  );
  return lines.join('\n');
}

// ---------------------------------------------------------------- completion

function subcommandsOf(cmd: Command): Command[] {
  return cmd.commands.filter((c) => c.name() !== 'help');
}

/** Every option word of a command: short and long forms, --no-x for negatable ones. */
function optionWords(cmd: Command): string[] {
  const words: string[] = [];
  for (const o of visibleOptions(cmd)) {
    if (o.short) words.push(o.short);
    if (o.long) words.push(o.long);
  }
  words.push('--help');
  return [...new Set(words)];
}

/** Single-quoted for a shell: a quote inside closed, escaped, reopened. */
function sq(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** One line of a description, for zsh's menu. */
function brief(text: string): string {
  return text.replace(/\s+/g, ' ').replace(/:/g, '\\:').slice(0, 100);
}

/** The values a command's first argument may take, when it names them (completion bash|zsh). */
function argumentChoices(e: CommandEntry): string[] {
  return e.cmd.registeredArguments.flatMap((a) => a.argChoices ?? []);
}

function paths(program: Command): CommandEntry[] {
  return [{ path: '', cmd: program }, ...commandTree(program)];
}

/** Shell case arms giving, per command path (and option, for choices), the words that may come next. */
function caseArms(program: Command, words: (e: CommandEntry) => string[], indent = '    '): string[] {
  return paths(program)
    .map((e) => [e.path, words(e)] as const)
    .filter(([, w]) => w.length > 0)
    .map(([p, w]) => `${indent}${sq(p)}) echo ${sq(w.join(' '))} ;;`);
}

function choiceArms(program: Command, indent = '    '): string[] {
  const arms: string[] = [];
  for (const e of paths(program)) {
    for (const o of visibleOptions(e.cmd)) {
      if (!o.argChoices) continue;
      const names = [o.short, o.long].filter((x): x is string => x !== undefined).map((n) => sq(`${e.path} ${n}`));
      arms.push(`${indent}${names.join('|')}) echo ${sq(o.argChoices.join(' '))} ;;`);
    }
  }
  return arms;
}

/** Options that take a value: the word after them is that value, not a command. */
function valueOptionArms(program: Command, indent = '    '): string[] {
  const arms: string[] = [];
  for (const e of paths(program)) {
    const names = visibleOptions(e.cmd).filter((o) => o.required || o.optional).flatMap((o) => [o.short, o.long]).filter((x): x is string => x !== undefined);
    if (names.length) arms.push(`${indent}${sq(e.path)}) echo ${sq(names.join(' '))} ;;`);
  }
  return arms;
}

/** The shell functions both completions share: which options take a value, their choices, the arguments' choices. */
function valueFunctions(program: Command): string {
  return `_ucprobe_value_options() {
  case "$1" in
${valueOptionArms(program).join('\n')}
  esac
}
_ucprobe_choices() {
  case "$1 $2" in
${choiceArms(program).join('\n')}
  esac
}
_ucprobe_argument_choices() {
  case "$1" in
${caseArms(program, argumentChoices).join('\n')}
  esac
}
`;
}

const HEADER = (shell: string): string => `# ${shell} completion for ucprobe ${UCPROBE_VERSION}, made from its command definitions (ucprobe completion ${shell}).`;

/** The bash script: source it (or install it as a bash-completion file); `_ucprobe` completes commands, options and choices. */
export function bashCompletion(program: Command): string {
  return `${HEADER('bash')}
_ucprobe_subcommands() {
  case "$1" in
${caseArms(program, (e) => subcommandsOf(e.cmd).map((c) => c.name())).join('\n')}
  esac
}
_ucprobe_options() {
  case "$1" in
${caseArms(program, (e) => (e.path === '' ? ['--help', '--version'] : optionWords(e.cmd))).join('\n')}
  esac
}
${valueFunctions(program)}_ucprobe() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="" cmdpath="" i w skip=0 subs takes
  (( COMP_CWORD > 0 )) && prev="\${COMP_WORDS[COMP_CWORD-1]}"
  COMPREPLY=()
  for (( i = 1; i < COMP_CWORD; i++ )); do
    w="\${COMP_WORDS[i]}"
    if (( skip )); then skip=0; continue; fi
    if [[ $w == -* ]]; then
      takes=" $(_ucprobe_value_options "$cmdpath") "
      [[ $w != *=* && $takes == *" $w "* ]] && skip=1
      continue
    fi
    subs=" $(_ucprobe_subcommands "$cmdpath") "
    [[ $subs == *" $w "* ]] && cmdpath="\${cmdpath:+$cmdpath }$w"
  done
  local choices
  choices="$(_ucprobe_choices "$cmdpath" "$prev")"
  if [[ -n $choices ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$choices" -- "$cur")
    return 0
  fi
  takes=" $(_ucprobe_value_options "$cmdpath") "
  if [[ $prev == -* && $takes == *" $prev "* ]]; then
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    return 0
  fi
  if [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$(_ucprobe_options "$cmdpath")" -- "$cur")
    return 0
  fi
  subs="$(_ucprobe_subcommands "$cmdpath")"
  [[ -z $subs ]] && subs="$(_ucprobe_argument_choices "$cmdpath")"
  if [[ -n $subs ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$subs" -- "$cur")
  else
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
  fi
  return 0
}
complete -o filenames -o bashdefault -F _ucprobe ucprobe
`;
}

/** The zsh script (#compdef): commands and options with their descriptions, choices, files. */
export function zshCompletion(program: Command): string {
  const describedArms = (what: (e: CommandEntry) => Array<[string, string]>): string[] =>
    paths(program)
      .map((e) => [e.path, what(e)] as const)
      .filter(([, w]) => w.length > 0)
      .map(([p, w]) => `    ${sq(p)}) reply=(${w.map(([n, d]) => sq(`${n}:${brief(d)}`)).join(' ')}) ;;`);
  const subArms = describedArms((e) => subcommandsOf(e.cmd).map((c) => [c.name(), c.description()]));
  const optArms = describedArms((e) => visibleOptions(e.cmd).flatMap((o) => [o.short, o.long].filter((x): x is string => x !== undefined).map((n): [string, string] => [n, o.description])));
  return `#compdef ucprobe
${HEADER('zsh')}
_ucprobe_subcommands() {
  reply=()
  case "$1" in
${subArms.join('\n')}
  esac
}
_ucprobe_options() {
  reply=()
  case "$1" in
${optArms.join('\n')}
  esac
}
${valueFunctions(program)}_ucprobe() {
  local cmdpath="" w prev="\${words[CURRENT-1]}" skip=0 i
  local -a reply names
  for (( i = 2; i < CURRENT; i++ )); do
    w="\${words[i]}"
    if (( skip )); then skip=0; continue; fi
    if [[ $w == -* ]]; then
      [[ $w != *=* && " $(_ucprobe_value_options "$cmdpath") " == *" $w "* ]] && skip=1
      continue
    fi
    _ucprobe_subcommands "$cmdpath"
    names=(\${reply%%:*})
    (( \${names[(Ie)$w]} )) && cmdpath="\${cmdpath:+$cmdpath }$w"
  done
  local choices="$(_ucprobe_choices "$cmdpath" "$prev")"
  if [[ -n $choices ]]; then
    compadd -- \${=choices}
    return
  fi
  if [[ $prev == -* && " $(_ucprobe_value_options "$cmdpath") " == *" $prev "* ]]; then
    _files
    return
  fi
  if [[ $PREFIX == -* ]]; then
    _ucprobe_options "$cmdpath"
    _describe -t options option reply
    return
  fi
  _ucprobe_subcommands "$cmdpath"
  if (( \${#reply} )); then
    _describe -t commands command reply
    return
  fi
  choices="$(_ucprobe_argument_choices "$cmdpath")"
  if [[ -n $choices ]]; then
    compadd -- \${=choices}
  else
    _files
  fi
}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  _ucprobe "$@"
else
  compdef _ucprobe ucprobe
fi
`;
}
