import { registerDecorator, ValidationOptions } from 'class-validator';

// What a display string (a name, a label, a reason: text shown in lists, UIs, logs and audit trails) may not hold:
// - Cc: C0 and C1 controls (tab, newline, escape: they break log lines and terminals);
// - Cf: format characters, invisible by design: the bidi overrides, embeddings and isolates (U+202A–202E,
//   U+2066–2069: "Trojan Source" reordering), the zero-width space and word joiner, soft hyphen, BOM, and the
//   tag characters (U+E0000 block: text hidden from readers but not from programs);
// - Zl, Zp: the line and paragraph separators (U+2028, U+2029: a line break in every UI, a line terminator in JS);
// - Cs: an unpaired UTF-16 surrogate (not Unicode text at all).
const NOT_DISPLAY_TEXT = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;

// Two Cf characters are allowed, but only joining two visible characters (not C*, not a separator or space):
// the zero-width joiner U+200D (emoji sequences such as 👩‍💻, and conjuncts in Indic scripts) and the
// zero-width non-joiner U+200C (mandatory in Persian spelling, e.g. "می‌خواهم"). Refusing them would refuse
// correctly spelled names; in that position they only change how the two neighbours are drawn, never the order
// or the line structure of the text. A joiner at either end, next to a space or next to another invisible
// character is refused: there it joins nothing and would only make two names look alike.
const JOINER_BETWEEN_VISIBLE = /(?<=[^\p{C}\p{Z}])[\u200C\u200D](?=[^\p{C}\p{Z}])/gu;

/** The one message for a string that is not display text. */
export const DISPLAY_TEXT_MESSAGE =
  'must be display text: no control characters, no invisible format characters such as bidi overrides (a zero-width joiner only between two visible characters), no line or paragraph separators, no unpaired surrogates';

/** True when `value` is display text: none of the characters above (joiners only between visible characters). */
export function isDisplayText(value: string): boolean {
  return !NOT_DISPLAY_TEXT.test(value.replace(JOINER_BETWEEN_VISIBLE, ''));
}

/**
 * class-validator: a string that is display text (see isDisplayText); message "<property> must be display text: …".
 * Non-strings fail too; combine with @IsString(), @Length() and the like for type and length.
 */
export function IsDisplayText(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isDisplayText',
      target: target.constructor,
      propertyName: String(propertyName),
      options,
      validator: {
        validate: (value: unknown) => typeof value === 'string' && isDisplayText(value),
        defaultMessage: (args) => `${args?.property ?? String(propertyName)} ${DISPLAY_TEXT_MESSAGE}`,
      },
    });
  };
}
