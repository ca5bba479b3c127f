// A scenario run's verdicts: a pass/fail table for the terminal, the whole
// run as JSON (--report), and JUnit XML (--junit) for CI systems.

import type { RunResult } from '../run/run.js';
import { generateSummaryText, summaryJson } from './generate-text.js';
import { table } from './table.js';

export function runText(r: RunResult): string {
  const rows = r.results.map((x) => [x.held ? 'PASS' : 'FAIL', x.name, x.detail]);
  const passed = r.results.filter((x) => x.held).length;
  return [
    `scenario ${r.scenario.name} (${r.scenario.file})${r.scenario.description ? `: ${r.scenario.description}` : ''}`,
    `checked against the ${r.observation.source}`,
    ...r.observation.notes.map((n) => `  ${n}`),
    '',
    generateSummaryText(r.generator),
    '',
    table(['result', 'expectation', 'what was seen'], rows),
    '',
    r.stoppedEarly ? 'STOPPED EARLY: the run did not finish, so it does not pass'
      : `${r.passed ? 'PASSED' : 'FAILED'}: ${passed} of ${r.results.length} expectations held`,
  ].join('\n');
}

export function runJson(r: RunResult): object {
  return {
    scenario: { file: r.scenario.file, name: r.scenario.name, description: r.scenario.description },
    observer: r.observation.source,
    notes: r.observation.notes,
    passed: r.passed,
    stoppedEarly: r.stoppedEarly,
    expectations: r.results,
    generator: summaryJson(r.generator),
    events: r.observation.events,
    streams: r.observation.streams,
  };
}

function xml(s: string): string {
  // Control characters other than tab/newline are not allowed in XML 1.0 at all.
  return s.replace(/[\x00-\x08\x0b\x0c\x0e-\x1f]/g, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function runJunit(r: RunResult): string {
  const failures = r.results.filter((x) => !x.held).length;
  const cases = r.results.map((x) => {
    const head = `    <testcase classname="${xml(r.scenario.name)}" name="${xml(x.name)}" file="${xml(x.at.split(':')[0])}">`;
    const body = x.held ? `      <system-out>${xml(x.detail)}</system-out>` : `      <failure message="${xml(x.detail)}">${xml(`${x.at}: ${x.detail}`)}</failure>`;
    return `${head}\n${body}\n    </testcase>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites tests="${r.results.length}" failures="${failures}" time="${r.generator.seconds}">`,
    `  <testsuite name="${xml(r.scenario.name)}" tests="${r.results.length}" failures="${failures}" time="${r.generator.seconds}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
