/**
 * `$(VAR)` expansion in container command, args and env values, exactly as Kubernetes does it
 * (third_party/forked/golang/expansion): `$(NAME)` becomes the value of NAME when NAME is
 * defined, and is left as written otherwise; `$$` escapes a dollar, so `$$(NAME)` yields the
 * literal `$(NAME)`; a `$` before anything else is kept.
 */
export function expand(input: string, lookup: (name: string) => string | undefined): string {
  if (!input.includes('$')) return input;
  let out = '';
  let i = 0;
  while (i < input.length) {
    const ch = input[i]!;
    if (ch !== '$' || i + 1 >= input.length) {
      out += ch;
      i++;
      continue;
    }
    const next = input[i + 1]!;
    if (next === '$') {
      out += '$';
      i += 2;
      continue;
    }
    if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close < 0) {
        // Unterminated reference: Kubernetes keeps it verbatim, including "$(".
        out += input.slice(i);
        break;
      }
      const name = input.slice(i + 2, close);
      const value = lookup(name);
      out += value === undefined ? `$(${name})` : value;
      i = close + 1;
      continue;
    }
    out += ch;
    i++;
  }
  return out;
}
