import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { FieldError, ProblemException } from './problem';

function flatten(errors: ValidationError[], prefix = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = prefix + error.property;
    const own: FieldError[] =
      error.constraints !== undefined ? [{ field, messages: Object.values(error.constraints) }] : [];
    return [...own, ...flatten(error.children ?? [], `${field}.`)];
  });
}

function validationProblem(errors: FieldError[]): ProblemException {
  return new ProblemException(400, 'VALIDATION_FAILED', 'The request is invalid; see errors for each field.', { errors });
}

/**
 * Nest's ValidationPipe reads a JSON `null` body as `{}` (toEmptyIfNil), so a DTO whose fields are all optional
 * accepted `null`. A body, when there is one, must be a JSON object; no body at all is still `{}`.
 */
class BodyObjectValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && value === null) {
      throw validationProblem([{ field: '', messages: ['the request body must be a JSON object'] }]);
    }
    return super.transform(value, metadata);
  }
}

/** Unknown fields are refused (not silently dropped), values are transformed to the DTO's types. */
export function createValidationPipe(): ValidationPipe {
  return new BodyObjectValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => validationProblem(flatten(errors)),
  });
}

/**
 * Deepest nesting of arrays and objects a JSON body may have. No request of this API needs more than a
 * few levels; without a bound, a deep body costs a recursive parse and transform and ends in a 500.
 */
export const MAX_JSON_DEPTH = 32;

// NUL (PostgreSQL text cannot hold it) and UTF-16 surrogates without their other half (not Unicode text).
const INVALID_TEXT = /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when a string is not text this API stores or compares: it holds NUL or a lone surrogate. */
export function isInvalidText(value: string): boolean {
  return INVALID_TEXT.test(value);
}

/** The refusal of a request whose URL or body holds something that is not text. */
export function invalidTextProblem(where: string): ProblemException {
  return new ProblemException(400, 'INVALID_TEXT', `The ${where} holds a NUL character, invalid UTF-8 or an unpaired surrogate.`);
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });
const CHARSET_PARAMETER = /;\s*charset\s*=\s*"?([^";\s]*)/i;

/**
 * Refuses a JSON body declared in another charset than UTF-8 (JSON is UTF-8, RFC 8259): it would be read as UTF-8
 * anyway, so a client declaring UTF-16 or Latin-1 means something else than what would be processed.
 */
export function assertUtf8ContentType(contentType: string | undefined): void {
  const charset = CHARSET_PARAMETER.exec(contentType ?? '')?.[1]?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new ProblemException(415, 'UNSUPPORTED_MEDIA_TYPE', 'JSON bodies must be UTF-8; the declared charset is not.');
  }
}

/** Decodes a body as UTF-8, refusing invalid byte sequences instead of replacing them. */
export function decodeUtf8Body(body: Buffer): string {
  try {
    return STRICT_UTF8.decode(body);
  } catch {
    throw invalidTextProblem('request body');
  }
}

/**
 * Refuses JSON text nested deeper than `maxDepth`, by a linear scan before it is parsed (so the
 * parser and the transformer never recurse that deep). Brackets inside strings do not count.
 */
export function assertJsonDepth(text: string, maxDepth = MAX_JSON_DEPTH): void {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < text.length; index += 1) {
    const char = text.charCodeAt(index);
    if (inString) {
      if (char === 0x5c /* \ */) {
        index += 1;
      } else if (char === 0x22 /* " */) {
        inString = false;
      }
    } else if (char === 0x22) {
      inString = true;
    } else if (char === 0x7b /* { */ || char === 0x5b /* [ */) {
      depth += 1;
      if (depth > maxDepth) {
        throw new ProblemException(400, 'JSON_TOO_DEEP', `The JSON body is nested deeper than ${maxDepth} levels.`);
      }
    } else if (char === 0x7d /* } */ || char === 0x5d /* ] */) {
      depth -= 1;
    }
  }
}

/** Refuses parsed JSON holding a key or string value that is not text (see isInvalidText). */
export function assertJsonText(value: unknown): void {
  if (typeof value === 'string') {
    if (isInvalidText(value)) {
      throw invalidTextProblem('request body');
    }
  } else if (Array.isArray(value)) {
    value.forEach(assertJsonText);
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, member] of Object.entries(value)) {
      assertJsonText(key);
      assertJsonText(member);
    }
  }
}

/** Refuses a request URL whose percent-decoded path or query is not text (invalid UTF-8, NUL, lone surrogates). */
export function assertUrlText(url: string): void {
  let decoded: string;
  try {
    decoded = decodeURIComponent(url);
  } catch {
    throw invalidTextProblem('request URL');
  }
  if (isInvalidText(decoded)) {
    throw invalidTextProblem('request URL');
  }
}
