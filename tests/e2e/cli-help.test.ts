import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { flagName } from '../../src/cli/config-sources.js';
import { configKeys } from '../../src/core/config.js';
import { riskwatch } from '../helpers/cli-process.js';
import { useTempDir } from '../helpers/temp-dir.js';

/**
 * Issue 10, defect 5: `riskwatch start --help` printed a stack trace and `riskwatch replay --help`
 * went looking for a recording named `--help`. The built bin, as a process: every subcommand answers
 * `--help` and `-h` with its flags (exit 0); an unknown flag is one line on stderr naming it, exit
 * code 2, no stack trace.
 */
async function run(args: string[], cwd?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = riskwatch(args, cwd === undefined ? {} : { cwd });
  const [code] = (await once(proc.child, 'exit')) as [number | null];
  return { code, stdout: proc.stdout(), stderr: proc.stderr() };
}

/** Every configuration key's flag: the engine commands take them all. */
const CONFIG_FLAGS = ['--config', '--broker', ...configKeys().map(({ path }) => `--${flagName(path)}`)];

/** Each subcommand (as typed) and the flags its help must mention. */
const SUBCOMMANDS: Array<[command: string[], flags: string[]]> = [
  [['start'], CONFIG_FLAGS],
  [['demo'], CONFIG_FLAGS],
  [['replay'], ['--drain', ...CONFIG_FLAGS]],
  [['simulate'], ['--fast', '--out', '--labels', '--url', '--rate', '--seed', '--households', '--registry', '--write-registry', '--start', '--duration', '--batch', '--batch-every', '--topic-prefix', '--incident', '--incidents', '--timeline']],
  [['rules'], ['--registry', '--config']],
  [['rules', 'validate'], ['--registry', '--config']],
  [['config'], []],
  [['help'], []],
];

const STACK_LINE = /^\s+at /m;

// Concurrent: some forty short processes, each mostly waiting for Node to load the CLI.
describe.concurrent('riskwatch --help and usage errors (built bin)', { timeout: 90_000 }, () => {
  it('riskwatch --help, -h, help and no arguments list every subcommand', async () => {
    for (const args of [['--help'], ['-h'], ['help'], []]) {
      const { code, stdout, stderr } = await run(args);
      expect({ args, code, stderr }).toEqual({ args, code: 0, stderr: '' });
      for (const sub of ['start', 'demo', 'simulate', 'replay FILE', 'rules validate', 'config']) expect(stdout, `${args.join(' ')}: ${sub}`).toContain(`riskwatch ${sub}`);
      expect(stdout).toContain('COMMAND --help');
    }
  });

  it.each(SUBCOMMANDS)('riskwatch %j --help and -h: its flags, exit 0', async (command, flags) => {
    for (const help of ['--help', '-h']) {
      const { code, stdout, stderr } = await run([...command, help]);
      expect({ code, stderr }, stdout).toEqual({ code: 0, stderr: '' });
      expect(stdout).toMatch(new RegExp(`^riskwatch ${command[0] === 'help' ? '' : command[0]}`));
      expect(stdout).toContain('-h, --help');
      for (const flag of flags) expect(stdout, `${command.join(' ')} ${help}`).toMatch(new RegExp(`${flag}\\b`));
    }
  });

  it('riskwatch help COMMAND is COMMAND --help', async () => {
    const [viaHelp, viaFlag] = await Promise.all([run(['help', 'replay']), run(['replay', '--help'])]);
    expect(viaHelp.code).toBe(0);
    expect(viaHelp.stdout).toBe(viaFlag.stdout);
  });

  it.each([
    [['start', '--bogus'], '--bogus'],
    [['demo', '--mqtt-prot', '1'], '--mqtt-prot'],
    [['replay', 'rec.ndjson', '--drian', '1h'], '--drian'],
    [['simulate', '--fast', '--out', 'x.ndjson', '--nope'], '--nope'],
    [['rules', 'validate', '--regsitry', 'r.yaml'], '--regsitry'],
    [['config', '-x'], '-x'],
    [['help', '--all'], '--all'],
  ])('riskwatch %j: one line on stderr naming %s, exit 2, no stack trace', async (args, flag) => {
    const { code, stdout, stderr } = await run(args);
    expect(code).toBe(2);
    expect(stderr.trimEnd().split('\n')).toEqual([expect.stringContaining(`unknown flag ${flag}`)]);
    expect(stderr).toMatch(/^ERR_CLI_USAGE: /);
    expect(stderr).not.toMatch(STACK_LINE);
    expect(stdout).toBe('');
  });

  it.each([
    [['bogus'], 'unknown command bogus'],
    [['start', '--mqtt-port'], '--mqtt-port needs a value'],
    [['start', 'extra'], 'unexpected argument extra'],
    [['replay'], 'needs the recording FILE'],
    [['rules', 'check'], 'unknown subcommand check'],
    [['simulate', '--fast=yes'], '--fast takes no value'],
  ])('riskwatch %j: a usage error, one line, exit 2', async (args, problem) => {
    const { code, stderr } = await run(args);
    expect(code).toBe(2);
    expect(stderr.trimEnd().split('\n')).toEqual([expect.stringContaining(problem)]);
    expect(stderr).not.toMatch(STACK_LINE);
  });

  describe('replay --help', () => {
    const dir = useTempDir('ingest-cli-help-');

    it('answers without touching the filesystem: nothing read as a recording, nothing created', async () => {
      for (const args of [['replay', '--help'], ['replay', 'missing.ndjson', '-h'], ['replay', '--help', '--data', 'out']]) {
        const { code, stdout, stderr } = await run(args, dir());
        expect({ args, code, stderr }).toEqual({ args, code: 0, stderr: '' });
        expect(stdout).toMatch(/^riskwatch replay/);
        expect(stdout).not.toMatch(/ENOENT|no messages/);
      }
      expect(readdirSync(dir())).toEqual([]); // no data/replay, no database, no file named --help
    });
  });
});
