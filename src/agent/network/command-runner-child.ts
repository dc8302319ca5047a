/**
 * The command runner's helper process (see command-runner.ts): reads one JSON request per line
 * on stdin, runs it with execFile (argv only, no shell) and answers one JSON line on stdout. It
 * is small, so its forks are cheap, and it ends when its parent closes stdin (or dies).
 */
import { execFile } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { CommandReply, CommandRequest } from './command-runner.js';

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  let req: CommandRequest;
  try {
    req = JSON.parse(line) as CommandRequest;
  } catch {
    return;
  }
  const reply = (r: Omit<CommandReply, 'id'>): void => void process.stdout.write(JSON.stringify({ id: req.id, ...r }) + '\n');
  try {
    const child = execFile(req.file, req.args, { maxBuffer: req.maxBuffer, timeout: req.timeoutMs }, (err, stdout, stderr) => {
      if (err) reply({ ok: false, code: (err as NodeJS.ErrnoException).code ?? null, stdout: String(stdout), stderr: String(stderr) || err.message });
      else reply({ ok: true, code: 0, stdout: String(stdout), stderr: String(stderr) });
    });
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(req.input ?? '');
  } catch (err) {
    reply({ ok: false, code: null, stdout: '', stderr: (err as Error).message });
  }
});
lines.on('close', () => process.exit(0));
