/**
 * fetch without following redirects, keeping an identity provider's cookies (name and path; one host per instance)
 * across calls as a browser would: for sign-in flows without a browser.
 */
export class CookieBrowser {
  private readonly cookies = new Map<string, { name: string; value: string; path: string }>();

  constructor(readonly base: string) {}

  async call(method: string, pathOrUrl: string, json?: unknown, form?: URLSearchParams): Promise<Response> {
    const url = new URL(pathOrUrl, this.base);
    const headers: Record<string, string> = {};
    const cookie = this.cookieHeader(url.pathname);
    if (cookie !== '') {
      headers.cookie = cookie;
    }
    let body: string | undefined;
    if (json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(json);
    } else if (form !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = form.toString();
    }
    const response = await fetch(url, { method, headers, body, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      this.remember(line);
    }
    return response;
  }

  /** The call's parsed JSON answer (undefined when empty); any other status is an error naming the step. */
  async expect(method: string, path: string, statuses: number[], json?: unknown, form?: URLSearchParams): Promise<unknown> {
    const response = await this.call(method, path, json, form);
    const text = await response.text();
    if (!statuses.includes(response.status)) {
      throw new Error(`sign-in: ${method} ${path} → ${response.status} ${text.slice(0, 300)}`);
    }
    return text === '' ? undefined : JSON.parse(text);
  }

  private remember(setCookie: string): void {
    const [pair = '', ...attributes] = setCookie.split(';').map((part) => part.trim());
    const separator = pair.indexOf('=');
    const name = pair.slice(0, separator);
    const value = pair.slice(separator + 1);
    const attribute = (key: string): string | undefined =>
      attributes.find((part) => part.toLowerCase().startsWith(`${key}=`))?.slice(key.length + 1);
    const path = attribute('path') ?? '/';
    const expires = attribute('expires');
    const expired = attribute('max-age') === '0' || (expires !== undefined && Date.parse(expires) <= Date.now()) || value === '';
    const key = `${name}\u0000${path}`;
    if (expired) {
      this.cookies.delete(key);
    } else {
      this.cookies.set(key, { name, value, path });
    }
  }

  private cookieHeader(requestPath: string): string {
    return [...this.cookies.values()]
      .filter(({ path }) => requestPath === path || requestPath.startsWith(path.endsWith('/') ? path : `${path}/`))
      .sort((a, b) => b.path.length - a.path.length)
      .map(({ name, value }) => `${name}=${value}`)
      .join('; ');
  }
}
