// Writes results/latest.json and results/latest.md. Scenarios run on their own replace only
// their own section, so `npm run bench -- scale` refreshes scale and keeps the rest.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const resultsDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'results');
const jsonPath = join(resultsDir, 'latest.json');
const markdownPath = join(resultsDir, 'latest.md');

export function loadResults() {
  if (!existsSync(jsonPath)) return { scenarios: {} };
  return JSON.parse(readFileSync(jsonPath, 'utf8'));
}

export function writeResults(results, scenarios) {
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(jsonPath, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(markdownPath, renderMarkdown(results, scenarios));
  return { jsonPath, markdownPath };
}

function renderMarkdown(results, scenarios) {
  const machine = results.machine;
  const lines = ['# wharf benchmark results', ''];
  if (machine) {
    const versions = Object.entries(machine.versions)
      .map(([name, version]) => `${name} ${version}`)
      .join(', ');
    lines.push(
      `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Linux ${machine.kernel}, Node ${machine.node}.`,
      `Peers and tools: ${versions}.`,
      '',
      'Reproduce with `npm run build && npm run bench` (or `./run.sh bench [scenario]`); `--quick` gives a short, noisier run.',
      '',
    );
  }
  const bars = scenarios.flatMap((scenario) => {
    const section = results.scenarios[scenario.name];
    return section?.result ? safely(() => scenario.bars(section.result), []) : [];
  });
  if (bars.length) {
    lines.push('## Quality bars', '', '| bar | measured | met |', '|---|---|---|');
    for (const bar of bars)
      lines.push(`| ${bar.bar} | ${bar.measured} | ${bar.met ? 'met' : '**not met**'} |`);
    lines.push('');
  }
  for (const scenario of scenarios) {
    const section = results.scenarios[scenario.name];
    if (!section) continue;
    lines.push(`## ${scenario.name}`, '');
    const load =
      section.loadAverageAtStart === undefined
        ? ''
        : ` 1-minute load average ${section.loadAverageAtStart.toFixed(1)} at start, ${section.loadAverageAtEnd.toFixed(1)} at end.`;
    lines.push(
      `Run ${section.ranAt}${section.quick ? ' (quick)' : ''}, ${section.durationSeconds} s.${load}`,
      '',
    );
    if (section.error) lines.push(`Failed: \`${section.error}\``, '');
    if (section.result) {
      lines.push(
        safely(() => scenario.markdown(section.result), 'Stored result has an older format; run it again.'),
        '',
      );
    }
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

/** Results kept from an older harness version may not fit the current renderer. */
function safely(render, fallback) {
  try {
    return render();
  } catch {
    return fallback;
  }
}
