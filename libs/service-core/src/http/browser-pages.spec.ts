import { escapeHtml, htmlPage, pageSecurityPolicy, refusalPage } from './browser-pages';

describe('browser pages', () => {
  it('escapes every character that could end a text or an attribute', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&</a>`)).toBe('&#60;a href=&#34;x&#34; onclick=&#39;y&#39;&#62;&#38;&#60;/a&#62;');
  });

  it('escapes the title and the refusal text; no script can be injected through them', () => {
    const page = refusalPage('<script>alert(1)</script>', '"><img src=x onerror=alert(1)>');
    expect(page).not.toContain('<script>');
    expect(page).not.toContain('<img');
    expect(htmlPage('</title><script>', '')).toContain('<title>&#60;/title&#62;&#60;script&#62;</title>');
  });

  it('lets nothing load and forms post to this origin, plus the targets a form is redirected on to', () => {
    expect(pageSecurityPolicy()).toBe("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
    expect(pageSecurityPolicy(['https://logto.example'])).toContain("form-action 'self' https://logto.example;");
  });
});
