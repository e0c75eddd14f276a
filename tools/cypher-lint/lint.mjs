// Lints Cypher with Neo4j's own parser and semantic analysis, offline.
//
// stdin:  {"schema": {labels, relationshipTypes, propertyKeys, graphSchema}, "queries": [{name, text}]}
// stdout: {"linter": "<package>@<version>", "results": [{name, diagnostics: [{severity, message, line, column}]}]}
//
// The function and procedure lists are the ones the package ships for its own tests
// (testData.mockSchema): a query calling a function Neo4j 5 does not have (LadybugDB's
// label(), list_transform(), current_date() …) fails. Undeclared $parameters are not errors:
// graph360 sends values as parameters at run time. Warnings (a label, relationship type or
// property key not in the schema, a relationship drawn between the wrong labels or in the wrong
// direction) are reported like errors: the caller decides, and graph360's test fails on any.
import { readFileSync } from 'node:fs';
import { isNotParamError, lintCypherQuery, testData } from '@neo4j-cypher/language-support';

const pkg = JSON.parse(
  readFileSync(
    new URL('./node_modules/@neo4j-cypher/language-support/package.json', import.meta.url),
    'utf8',
  ),
);

const input = JSON.parse(readFileSync(0, 'utf8'));
const mock = testData.mockSchema;
const schema = { ...input.schema, functions: mock.functions, defaultLanguage: 'CYPHER 5' };
// The procedure list makes every lint ~4x slower: given only to texts that call one.
const withProcedures = { ...schema, procedures: mock.procedures };
const severity = { 1: 'error', 2: 'warning', 3: 'information', 4: 'hint' };

const results = input.queries.map(({ name, text }) => {
  const { diagnostics } = lintCypherQuery(text, /\bCALL\b/i.test(text) ? withProcedures : schema);
  return {
    name,
    diagnostics: diagnostics.filter(isNotParamError).map((d) => ({
      severity: severity[d.severity] ?? String(d.severity),
      message: d.message,
      line: d.range.start.line + 1,
      column: d.range.start.character + 1,
    })),
  };
});
process.stdout.write(JSON.stringify({ linter: `${pkg.name}@${pkg.version}`, results }) + '\n');
