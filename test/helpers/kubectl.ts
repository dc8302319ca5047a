/**
 * Finds the real kubectl binaries for end-to-end tests: `kubectl` on PATH and its versioned
 * siblings (`kubectl.1.27` … `kubectl.1.33`) in the folder of its link target. When kubectl is
 * missing, tests skip with a loud message — except under CI=true, where they fail.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const OLDEST_KUBECTL = '1.27';
export const NEWEST_KUBECTL = '1.33';

function which(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const p = join(dir, cmd);
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

/** Path of kubectl for a minor version ('1.27'), or the default one for undefined. */
export function kubectlPath(version?: string): string | undefined {
  const main = which('kubectl');
  if (!main) return undefined;
  if (!version) return main;
  const dir = dirname(realpathSync(main));
  const p = join(dir, `kubectl.${version}`);
  return existsSync(p) ? p : undefined;
}

/**
 * Returns a skip reason (string) if kubectl is unavailable, after printing a loud warning;
 * throws under CI=true so a CI machine without kubectl fails instead of passing vacuously.
 */
export function kubectlUnavailable(version?: string): string | false {
  if (kubectlPath(version)) return false;
  const what = version ? `kubectl ${version} (kubectl.${version} next to kubectl's link target)` : 'kubectl on PATH';
  const msg = `${what} not found: end-to-end tests against the real kubectl are SKIPPED`;
  if (process.env.CI === 'true') throw new Error(`${msg} — but CI=true requires them; install kubectl`);
  process.stderr.write(`\n!!! ${msg} !!!\n\n`);
  return msg;
}

export function kubectlVersionString(path: string): string {
  return execFileSync(path, ['version', '--client', '-o', 'json'], { encoding: 'utf8' });
}

/**
 * The kubectl versions end-to-end suites run against: the oldest and the newest supported. (The
 * `kubectl` on PATH may be a dispatcher that picks a binary matching the server's version, i.e.
 * the newest here; suites that want it too run it as a smoke test.)
 */
export function kubectlVersionsToTest(): string[] {
  return [OLDEST_KUBECTL, NEWEST_KUBECTL];
}
