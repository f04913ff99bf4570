/**
 * Reads the root Dockerfile and .dockerignore the way Docker does, for the checks that run without a Docker engine:
 * the Dockerfile's invariants (test/deploy/dockerfile.spec.ts) and its build stage run on the real build context
 * (scripts/ci-image-build-stage.ts).
 */

export interface Instruction {
  keyword: string;
  args: string;
}

export interface Stage {
  base: string;
  name?: string;
  instructions: Instruction[];
}

/** Joins continuation lines, drops comments, splits into stages at each FROM. */
export function parseDockerfile(text: string): Stage[] {
  const logical: string[] = [];
  let current = '';
  for (const line of text.split('\n')) {
    if (/^\s*#/.test(line)) {
      continue;
    }
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    current += line;
    if (current.trim() !== '') {
      logical.push(current.trim());
    }
    current = '';
  }
  const stages: Stage[] = [];
  for (const entry of logical) {
    const m = /^(\S+)\s*(.*)$/s.exec(entry);
    const keyword = (m?.[1] ?? '').toUpperCase();
    const args = (m?.[2] ?? '').replace(/\s+/g, ' ').trim();
    if (keyword === 'FROM') {
      const from = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      stages.push({ base: from?.[1] ?? '', name: from?.[2], instructions: [] });
    } else if (stages.length > 0) {
      stages[stages.length - 1]?.instructions.push({ keyword, args });
    } else if (keyword !== 'ARG') {
      throw new Error(`Instruction before FROM: ${entry}`);
    }
  }
  return stages;
}

/**
 * The patterns of a .dockerignore file, normalised as moby's ignorefile.ReadAll does: `#` lines are comments,
 * surrounding whitespace is trimmed, each pattern is path-cleaned and loses a leading `/`; `!` marks an exception.
 */
export function parseDockerignore(text: string): string[] {
  const patterns: string[] = [];
  for (const line of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    if (line.startsWith('#')) {
      continue;
    }
    let pattern = line.trim();
    if (pattern === '') {
      continue;
    }
    const exception = pattern.startsWith('!');
    if (exception) {
      pattern = pattern.slice(1).trim();
    }
    if (pattern !== '') {
      pattern = cleanPath(pattern);
      if (pattern.length > 1 && pattern.startsWith('/')) {
        pattern = pattern.slice(1);
      }
    }
    patterns.push(exception ? `!${pattern}` : pattern);
  }
  return patterns;
}

/** Go's path.Clean: collapses `//`, `.` and `..` elements and drops a trailing slash. */
function cleanPath(path: string): string {
  const rooted = path.startsWith('/');
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') {
      continue;
    }
    if (part === '..' && out.length > 0 && out[out.length - 1] !== '..') {
      out.pop();
    } else if (part !== '..' || !rooted) {
      out.push(part);
    }
  }
  const joined = out.join('/');
  return rooted ? `/${joined}` : joined || '.';
}

/** One pattern as moby's patternmatcher compiles it: `**` any number of directories, `*` and `?` never a `/`. */
function patternToRegExp(pattern: string): RegExp {
  let source = '^';
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i] as string;
    if (ch === '*') {
      if (chars[i + 1] === '*') {
        i++;
        if (chars[i + 1] === '/') {
          i++;
        }
        source += i + 1 >= chars.length ? '.*' : '(.*/)?';
      } else {
        source += '[^/]*';
      }
    } else if (ch === '?') {
      source += '[^/]';
    } else if (ch === '\\') {
      const next = chars[i + 1];
      source += next === undefined ? '\\\\' : `\\${next}`;
      i++;
    } else if (ch === '[' || ch === ']') {
      source += ch;
    } else {
      // The characters moby escapes; `^` stays a regexp character there too (it negates a `[^...]` class).
      source += ch.replace(/[.+()|{}$]/g, '\\$&');
    }
  }
  return new RegExp(`${source}$`, 's');
}

/**
 * Whether Docker leaves a context path (relative, `/`-separated) out of the build context: moby's
 * MatchesOrParentMatches, where the last matching pattern wins and a pattern that matches a parent directory
 * matches everything under it.
 */
export function dockerignoreMatcher(patterns: readonly string[]): (path: string) => boolean {
  const compiled = patterns.map((raw) => {
    const exception = raw.startsWith('!');
    return { exception, regexp: patternToRegExp(exception ? raw.slice(1) : raw) };
  });
  return (path) => {
    const parents = path.split('/').slice(0, -1);
    let ignored = false;
    for (const { exception, regexp } of compiled) {
      // An exception can only re-include what is ignored so far, a pattern only ignore what is not.
      if (exception !== ignored) {
        continue;
      }
      let match = regexp.test(path);
      for (let i = 1; !match && i <= parents.length; i++) {
        match = regexp.test(parents.slice(0, i).join('/'));
      }
      if (match) {
        ignored = !exception;
      }
    }
    return ignored;
  };
}
