/**
 * A child subreaper for the process tree of the shims, so Skiff reaps what it starts.
 *
 * Shims spawn their own successors (shim-pool.ts) and containers leave children behind; when a
 * parent exits first, Linux hands its children to the nearest ancestor marked as a "child
 * subreaper" (prctl PR_SET_CHILD_SUBREAPER), else to PID 1. Not every PID 1 reaps (minimal
 * container and VM init processes often do not), and a zombie under one that does not stays
 * forever. Node cannot call prctl, and libuv only waits for the pids it spawned, so the agent
 * starts each seed shim under a small Perl program (Perl is part of every mainstream Linux base
 * system) that marks itself a subreaper, runs the shim as its child and then waits for every
 * process that ends up under it — the shim, its successors and whatever their containers
 * orphaned — until none is left, and exits. It ignores SIGHUP/SIGINT/SIGTERM, as the shims do:
 * containers outlive a stopped or crashed agent when asked to, and so does their reaper.
 *
 * Where there is no Perl, or not Linux, shims are started directly as before.
 */
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';

/** prctl(2) option: PR_SET_CHILD_SUBREAPER. */
export const PR_SET_CHILD_SUBREAPER = 36;

/** The prctl syscall number per Node architecture (Linux). */
const PRCTL_SYSCALL: Readonly<Record<string, number>> = {
  x64: 157,
  arm64: 167,
  riscv64: 167,
  loong64: 167,
  arm: 172,
  ia32: 172,
  s390x: 172,
  ppc64: 171,
};

const REAPER_SCRIPT = [
  'my $nr = shift @ARGV;',
  `syscall($nr + 0, ${PR_SET_CHILD_SUBREAPER}, 1, 0, 0, 0);`,
  'my $pid = fork();',
  'exit 127 unless defined $pid;',
  'if ($pid == 0) { exec { $ARGV[0] } @ARGV; exit 127; }',
  '$SIG{$_} = "IGNORE" for qw(HUP INT TERM);',
  '1 while waitpid(-1, 0) > 0;',
].join(' ');

let perlPath: string | null | undefined;

function findPerl(): string | null {
  if (perlPath !== undefined) return perlPath;
  perlPath = null;
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':')) {
    if (!dir) continue;
    try {
      accessSync(join(dir, 'perl'), constants.X_OK);
      perlPath = join(dir, 'perl');
      break;
    } catch {
      /* next */
    }
  }
  return perlPath;
}

/**
 * The argv that runs `argv` under a subreaper, or undefined where that is not possible (then run
 * `argv` directly).
 */
export function underReaper(argv: readonly string[]): { file: string; args: string[] } | undefined {
  if (process.platform !== 'linux') return undefined;
  const nr = PRCTL_SYSCALL[process.arch];
  const perl = findPerl();
  if (nr === undefined || !perl) return undefined;
  return { file: perl, args: ['-e', REAPER_SCRIPT, String(nr), ...argv] };
}
