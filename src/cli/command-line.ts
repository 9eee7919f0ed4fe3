import { parseArgs } from 'node:util';
import { ERR_CLI_USAGE, type RiskwatchError } from '../core/errors.js';

/** A command's flags as node:util `parseArgs` takes them. */
export type FlagOptions = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;

export type FlagValues = Record<string, string | boolean | string[] | undefined>;

export interface CommandLine {
  values: FlagValues;
  positionals: string[];
}

/** Every command answers these. */
const HELP_FLAG: FlagOptions = { help: { type: 'boolean', short: 'h' } };

/**
 * `-h` or `--help` anywhere before a `--`: help wins over everything else on the line and is
 * answered before anything is checked, read or opened (`riskwatch replay --help` must not go looking
 * for a recording named `--help`).
 */
export function asksForHelp(args: readonly string[]): boolean {
  for (const arg of args) {
    if (arg === '--') return false;
    if (arg === '--help' || arg === '-h') return true;
  }
  return false;
}

/** ERR_CLI_USAGE for `riskwatch {command}`: one line that names the problem and where help is. */
export function usageError(command: string, problem: string): RiskwatchError {
  const name = command ? `riskwatch ${command}` : 'riskwatch';
  return ERR_CLI_USAGE(name, problem, name);
}

/**
 * One command's arguments, strictly (node:util `parseArgs`, `strict: true`): an unknown flag, a flag
 * without its value, a value given to a switch or one positional argument too many is
 * ERR_CLI_USAGE naming it — never silently ignored, never a stack trace. `-h`/`--help` is
 * accepted by every command; callers check `asksForHelp` first.
 */
export function parseCommandLine(command: string, args: readonly string[], options: FlagOptions, maxPositionals: number): CommandLine {
  const all: FlagOptions = { ...options, ...HELP_FLAG };
  const problem = firstProblem(args, all);
  if (problem) throw usageError(command, problem);
  let parsed: CommandLine;
  try {
    parsed = parseArgs({ args: [...args], options: all, strict: true, allowPositionals: true }) as CommandLine;
  } catch (err) {
    // What the walk above does not word itself (a value that looks like a flag): Node's first line.
    throw usageError(command, String((err as Error).message).split('\n')[0]!);
  }
  if (parsed.positionals.length > maxPositionals) throw usageError(command, `unexpected argument ${parsed.positionals[maxPositionals]}`);
  return parsed;
}

/**
 * The first flag `parseArgs` would refuse, worded by us: its tokens (the same tokenizer, not a
 * second parser) say which flag it was, where its error messages would have to be picked apart.
 */
function firstProblem(args: readonly string[], options: FlagOptions): string | undefined {
  const { tokens } = parseArgs({ args: [...args], options, strict: false, allowPositionals: true, tokens: true });
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const option = options[token.name];
    if (option === undefined) return `unknown flag ${token.rawName}`;
    if (option.type === 'string' && token.value === undefined) return `${token.rawName} needs a value`;
    // `--data --rules x`: strict parseArgs refuses a value that looks like a flag unless it is inline.
    if (option.type === 'string' && !token.inlineValue && token.value!.startsWith('-')) return `${token.rawName} needs a value (write ${token.rawName}=${token.value} if that is it)`;
    if (option.type === 'boolean' && token.inlineValue) return `${token.rawName} takes no value`;
  }
  return undefined;
}

/** Help lines `  --flag VALUE   what it does`, the descriptions in one column. */
export function flagLines(rows: ReadonlyArray<readonly [flag: string, description: string]>): string[] {
  const width = Math.max(...rows.map(([flag]) => flag.length)) + 2;
  return rows.map(([flag, description]) => `  ${flag.padEnd(width)}${description}`.trimEnd());
}
