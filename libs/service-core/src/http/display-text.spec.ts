import { IsString, validate } from 'class-validator';
import { DISPLAY_TEXT_MESSAGE, IsDisplayText, isDisplayText } from './display-text';

describe('display text', () => {
  it.each([
    ['plain text', 'Acme Corp'],
    ['accents and other scripts', 'Société Générale · 株式会社 · Ελληνικά · עברית · العربية'],
    ['a no-break space and an ideographic space (Zs is a space, not a separator)', 'A\u00a0B\u3000C'],
    ['an astral emoji (a valid surrogate pair)', 'rack 7 🎉'],
    ['emoji with a variation selector and a skin tone', '❤️ 👍🏽'],
    ['an emoji ZWJ sequence', 'team 👩‍💻 and 👨‍👩‍👧'],
    ['a ZWNJ inside a Persian word', 'می‌خواهم'],
    ['a ZWJ after a virama (Malayalam)', 'ക്\u200dഷ'],
    ['right-to-left text without controls', 'شركة أكمي'],
  ])('accepts %s', (_name, value) => {
    expect(isDisplayText(value)).toBe(true);
  });

  it.each([
    ['a tab (Cc)', 'a\tb'],
    ['a newline (Cc)', 'a\nb'],
    ['a C1 control (Cc)', 'a\u0085b'],
    ['DEL (Cc)', 'a\u007fb'],
    ['a right-to-left override (Cf)', 'invoice\u202Efdp.exe'],
    ['a left-to-right embedding (Cf)', 'a\u202Ab'],
    ['a pop directional formatting (Cf)', 'a\u202Cb'],
    ['a right-to-left isolate (Cf)', 'a\u2067b'],
    ['a pop directional isolate (Cf)', 'a\u2069b'],
    ['a right-to-left mark (Cf)', 'a\u200Fb'],
    ['a zero-width space (Cf)', 'Ac\u200Bme'],
    ['a soft hyphen (Cf)', 'Ac\u00ADme'],
    ['a byte order mark (Cf)', 'Ac\uFEFFme'],
    ['a tag character (Cf, hidden text)', 'Acme\u{E0041}\u{E0042}'],
    ['a line separator (Zl)', 'a\u2028b'],
    ['a paragraph separator (Zp)', 'a\u2029b'],
    ['an unpaired high surrogate (Cs)', 'a\uD800b'],
    ['an unpaired low surrogate (Cs)', 'a\uDC00b'],
    ['a leading ZWJ', '\u200DAcme'],
    ['a trailing ZWJ', 'Acme\u200D'],
    ['a ZWJ next to a space', 'Acme \u200DCorp'],
    ['two ZWJs in a row', 'Ac\u200D\u200Dme'],
    ['a ZWNJ next to a bidi override', 'a\u200C\u202Eb'],
  ])('refuses %s', (_name, value) => {
    expect(isDisplayText(value)).toBe(false);
  });

  it('refuses through the decorator with the one message, naming the property', async () => {
    class Body {
      @IsString() @IsDisplayText()
      label!: unknown;
    }
    const bad = Object.assign(new Body(), { label: 'a\u202Eb' });
    const [error] = await validate(bad);
    expect(error?.constraints).toEqual({ isDisplayText: `label ${DISPLAY_TEXT_MESSAGE}` });
    expect(await validate(Object.assign(new Body(), { label: 'ok 👩‍💻' }))).toEqual([]);
    const [notString] = await validate(Object.assign(new Body(), { label: 42 }));
    expect(Object.keys(notString?.constraints ?? {})).toEqual(expect.arrayContaining(['isString', 'isDisplayText']));
  });
});
