#!/usr/bin/env node
// Prints the reliability table (markdown) from the results the fault tests left in
// test/artifacts/reliability/. Run the tests first:
//   npx vitest run test/reliability && node test/reliability/report.mjs
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const directory = fileURLToPath(new URL('../artifacts/reliability/', import.meta.url));
let files;
try {
  files = readdirSync(directory).filter((file) => file.endsWith('.json'));
} catch {
  console.error(`no results in ${directory}: run npx vitest run test/reliability first`);
  process.exit(1);
}

const rows = files.map((file) => JSON.parse(readFileSync(`${directory}${file}`, 'utf8')));
rows.sort((a, b) => a.scenario.localeCompare(b.scenario));
console.log('| scenario | load | fault | requests failed | registrations lost | measured |');
console.log('|---|---|---|---|---|---|');
for (const row of rows) {
  const failed = `${row.requestsFailed} of ${row.requestsSent}${
    row.requestsFailed > 0 ? ` ${JSON.stringify(row.failures)}` : ''
  }`;
  const measured = Object.entries(row.measured)
    .map(([name, value]) => `${name} ${value}`)
    .join(', ');
  const mode = row.soak ? ' (soak)' : row.ci ? ' (CI)' : '';
  console.log(
    `| ${row.scenario}${mode} | ${row.load} | ${row.fault} | ${failed} | ${row.registrationsLost} | ${measured} |`,
  );
}
