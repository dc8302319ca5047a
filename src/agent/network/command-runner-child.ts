/**
 * The command runner's helper process (see command-runner.ts): reads one JSON request per line
 * on stdin, runs it with execFile (argv only, no shell) and answers one JSON line on stdout. It
 * is small, so its forks are cheap, and it ends when its parent closes stdin (or dies).
 */
import { createInterface } from 'node:readline';
import { runDirect, type CommandReply, type CommandRequest } from './command-runner.js';

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  let req: CommandRequest;
  try {
    req = JSON.parse(line) as CommandRequest;
  } catch {
    return;
  }
  void runDirect(req.file, req.args, req.input).then(
    (r) => process.stdout.write(JSON.stringify({ id: req.id, ...r } satisfies CommandReply) + '\n'),
    (err: unknown) => process.stdout.write(JSON.stringify({ id: req.id, ok: false, code: null, stdout: '', stderr: (err as Error).message } satisfies CommandReply) + '\n'),
  );
});
lines.on('close', () => process.exit(0));
