import type { ArgumentsHost } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CodedError } from '../errors/coded-error';
import { sendProblem } from './problem.filter';

/**
 * The small HTML pages of the routes a browser navigates to (the edge sign-in, the invitation accept page): no
 * script, inline style only, every inserted text escaped, one look and one security policy.
 */

const STYLE = 'body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}button{font-size:1rem;padding:.5rem 1rem}';

/** Text (and attribute values) for HTML: the five characters that could end a text or an attribute, as references. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** A page titled `title` (escaped here) around `body` (HTML: whoever builds it escapes what it inserts). */
// same-origin, not no-referrer: with no-referrer Chromium sends `Origin: null` on a form POST, which is refused.
export function htmlPage(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="referrer" content="same-origin"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>`;
}

/** A refusal, for a browser: what went wrong, in the route's own words. */
export function refusalPage(title: string, detail: string): string {
  return htmlPage(title, `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(detail)}</p>`);
}

/**
 * The pages' CSP: nothing may load, forms post to this origin and to `formTargets` (origins a submitted form is
 * redirected on to: Chromium applies form-action to the redirects after a submission too).
 */
export function pageSecurityPolicy(formTargets: readonly string[] = []): string {
  return ["default-src 'none'", "style-src 'unsafe-inline'", ['form-action', "'self'", ...formTargets].join(' '), "frame-ancestors 'none'", "base-uri 'none'"].join('; ');
}

/** Sends a page, never cached (it is about the visitor). */
export function sendHtmlPage(reply: FastifyReply, html: string, options: { status?: number; securityPolicy?: string; headers?: Readonly<Record<string, string>> } = {}): void {
  void reply
    .status(options.status ?? 200)
    .headers(options.headers ?? {})
    .header('cache-control', 'no-store')
    .header('content-security-policy', options.securityPolicy ?? pageSecurityPolicy())
    .type('text/html; charset=utf-8')
    .send(html);
}

/**
 * The body of an exception filter for routes a browser navigates to: a refusal `isPageRefusal` accepts is, for a
 * client that asks for HTML, a refusal page with the same status and headers; everything else (other clients, other
 * errors, a reply already sent) is the problem document.
 */
export function answerBrowserRefusal(error: unknown, host: ArgumentsHost, isPageRefusal: (error: unknown) => error is CodedError): void {
  const http = host.switchToHttp();
  const request = http.getRequest<FastifyRequest>();
  const reply = http.getResponse<FastifyReply>();
  const accept = request.headers.accept ?? '';
  if (!isPageRefusal(error) || !accept.toLowerCase().includes('text/html') || reply.sent) {
    sendProblem(error, request, reply);
    return;
  }
  sendHtmlPage(reply, refusalPage(error.spec.title, error.detail), { status: error.spec.status, headers: error.headers });
}
