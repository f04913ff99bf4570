import { readFileSync, writeFileSync } from 'node:fs';
import { generateOpenApiDocument } from './openapi-document';

/** node dist/apps/api/src/openapi-cli.js [--check] <file> */
async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  const file = process.argv.filter((arg) => !arg.startsWith('--')).at(2) ?? 'openapi.json';
  const generated = `${JSON.stringify(await generateOpenApiDocument(), null, 2)}\n`;
  if (!check) {
    writeFileSync(file, generated);
    process.stdout.write(`wrote ${file}\n`);
    return;
  }
  const committed = readFileSync(file, 'utf8');
  if (committed !== generated) {
    process.stderr.write(`${file} is out of date with the code: run \`npm run openapi\` and commit the result.\n`);
    process.exit(1);
  }
  process.stdout.write(`${file} matches the code\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
