/** Log paths whose values are credentials; pino replaces them before a line is written. */
export const redactPaths: string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  '*.authorization',
  '*.password',
  '*.secret',
  '*.clientSecret',
  '*.client_secret',
  '*.token',
  '*.accessToken',
  '*.access_token',
  '*.refreshToken',
  '*.privateKey',
  '*.assertion',
];

const SENSITIVE_QUERY_KEY = /token|secret|password|assertion|code|key|signature/i;

/** Keeps a URL's path and query keys but blanks the values of anything that may be a credential. */
export function sanitizeUrl(url: string): string {
  const question = url.indexOf('?');
  if (question < 0) {
    return url;
  }
  const params = new URLSearchParams(url.slice(question + 1));
  for (const key of [...params.keys()]) {
    if (SENSITIVE_QUERY_KEY.test(key)) {
      params.set(key, '[redacted]');
    }
  }
  return `${url.slice(0, question)}?${params.toString()}`;
}
