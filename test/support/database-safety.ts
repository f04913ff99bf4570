/** The suite only ever touches databases that are obviously disposable. */
export function assertSafeTestDatabase(url: string): string {
  const name = new URL(url).pathname.replace(/^\//, '');
  if (!(name.includes('test') || name.startsWith('t_'))) {
    throw new Error(`refusing to use database "${name}" for tests: its name must contain "test" or start with "t_"`);
  }
  return name;
}

export function databaseUrlWithName(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}
