import { after } from 'node:test';
import { testSchema, type TestDatabase } from './postgres.ts';

/**
 * Fresh PostgreSQL schemas for one test file, each named apart from other files' (testSchema),
 * all dropped when the file is done:
 *
 *   const freshSchema = freshSchemas(db);
 *   const store = new PostgresStore({ url: db.url, schema: freshSchema('label') });
 */
export function freshSchemas(db: TestDatabase): (label: string) => string {
  const drops: Array<() => Promise<void>> = [];
  after(() => Promise.all(drops.map((drop) => drop())));
  return (label) => {
    const s = testSchema(db.url, label);
    drops.push(s.drop);
    return s.schema;
  };
}
