import { writeFileSync } from 'node:fs';
import { openApiDocument } from './openapi';

/** The exact text `npm run openapi` writes to docs/openapi.json (the drift test compares it). */
export function openApiText(): string {
  return `${JSON.stringify(openApiDocument(), null, 2)}\n`;
}

if (require.main === module) {
  const file = process.argv[2] ?? 'docs/openapi.json';
  writeFileSync(file, openApiText());
  process.stdout.write(`wrote ${file}\n`);
}
