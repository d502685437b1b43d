// Regenerates docs/bus-message.schema.json from the zod schema (packages/bus/src/message.ts).
// Run after `npm run build`: node packages/bus/scripts/write-json-schema.mjs
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { busMessageJsonSchema } from '@gateworker/bus';

const file = resolve(import.meta.dirname, '../../../docs/bus-message.schema.json');
writeFileSync(file, JSON.stringify(busMessageJsonSchema(), null, 2) + '\n');
console.log(`wrote ${file}`);
