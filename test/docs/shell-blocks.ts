/**
 * The shell blocks of the docs and how each is marked. A fenced block whose language is a shell (`sh`, `bash`,
 * `shell`, `console`, `zsh`) must say, after the language, whether it runs:
 *
 * - ```` ```sh runnable ````: run by `test/docs/runnable-docs.e2e-spec.ts` on a fresh copy of the repository;
 * - ```` ```sh runnable needs=postgres ````: the same, on a PostgreSQL server (skipped with a reason without one);
 * - ```` ```sh needs=docker ```` / `needs=logto` / `needs=root` / `needs=ci` / `needs=kubernetes`: needs a Docker engine, a
 *   real Logto, root (chown to the container's uid), is what CI runs itself (lint, the whole suite), or needs a
 *   Kubernetes cluster (deploy/helm/README.md); checked for syntax only.
 *
 * GitHub highlights by the first word of the info string and ignores the rest, so the marks do not show.
 */
const SHELL_LANGUAGES: readonly string[] = ['sh', 'bash', 'shell', 'console', 'zsh'];
const SYNTAX_ONLY_NEEDS: readonly string[] = ['docker', 'logto', 'root', 'ci', 'kubernetes'];

export type BlockMark = { readonly run: true; readonly needsPostgres: boolean } | { readonly run: false; readonly needs: string };

export interface ShellBlock {
  /** `README.md:51`: the file and the line of the opening fence. */
  readonly where: string;
  readonly info: string;
  readonly body: string;
  /** Undefined when the block is not marked, or marked in a way this runner does not know (the problem says why). */
  readonly mark?: BlockMark;
  readonly problem?: string;
}

/** Every fenced block of `markdown` whose language is a shell, in document order. */
export function shellBlocks(file: string, markdown: string): ShellBlock[] {
  const lines = markdown.split('\n');
  const blocks: ShellBlock[] = [];
  for (let index = 0; index < lines.length; index += 1) {
    const opening = /^(\s*)(`{3,}|~{3,})(.*)$/.exec(lines[index] ?? '');
    if (opening === null) {
      continue;
    }
    const [, indent = '', fence = '', infoText = ''] = opening;
    const start = index;
    const body: string[] = [];
    for (index += 1; index < lines.length && !(lines[index] ?? '').trimStart().startsWith(fence); index += 1) {
      body.push((lines[index] ?? '').startsWith(indent) ? (lines[index] ?? '').slice(indent.length) : (lines[index] ?? ''));
    }
    const info = infoText.trim();
    const [language = '', ...words] = info.split(/\s+/);
    if (!SHELL_LANGUAGES.includes(language)) {
      continue;
    }
    blocks.push({ where: `${file}:${start + 1}`, info, body: body.join('\n'), ...markOf(words) });
  }
  return blocks;
}

function markOf(words: string[]): { mark?: BlockMark; problem?: string } {
  const needs = words.filter((word) => word.startsWith('needs=')).map((word) => word.slice('needs='.length));
  const unknown = words.filter((word) => word !== 'runnable' && !word.startsWith('needs='));
  if (unknown.length > 0) {
    return { problem: `unknown mark ${unknown.join(' ')}` };
  }
  if (words.includes('runnable')) {
    if (needs.some((need) => need !== 'postgres')) {
      return { problem: `a runnable block may need only postgres, not ${needs.join(', ')}` };
    }
    return { mark: { run: true, needsPostgres: needs.includes('postgres') } };
  }
  const [need, ...more] = needs;
  if (need === undefined) {
    return { problem: `unmarked: say \`runnable\` or \`needs=${SYNTAX_ONLY_NEEDS.join('|')}\` after the language` };
  }
  if (more.length > 0 || !SYNTAX_ONLY_NEEDS.includes(need)) {
    return { problem: `needs=${needs.join(',')}: a block that does not run needs one of ${SYNTAX_ONLY_NEEDS.join(', ')}` };
  }
  return { mark: { run: false, needs: need } };
}
