// `npm run bench -- report`: regenerates bench/RESULTS.md sections and the
// SVG charts under bench/charts/ from bench/results/*.json, and the
// "Performance" section of README.md. Sections of RESULTS.md with no JSON
// behind them (written directly by older scenarios) are kept as they are.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { markdownTable, updateSection } from '../lib/results-md.ts';
import { readResults, type ResultFile } from '../lib/results-json.ts';
import type { IdleData } from './idle.ts';
import type { StormData } from './storm.ts';
import type { FanoutData } from './fanout.ts';
import { fanoutCharts, renderFanout } from '../report/fanout.ts';
import { idleCharts, IDLE_TARGET_KB, renderIdle } from '../report/idle.ts';
import { renderStorm, stormCharts, STORM_TARGET_MS } from '../report/storm.ts';
import { f1, int, ratio } from '../report/format.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Section heading in RESULTS.md per scenario with a renderer. */
export const SECTIONS: Record<string, string> = { idle: 'idle capacity', storm: 'reconnect-and-sync storm', fanout: 'plain fan-out: peers' };

/** Rewrites RESULTS.md sections and charts under `root`; returns the chart files written. */
export function report(root: string): string[] {
  const results = readResults(root);
  const md = join(root, 'bench/RESULTS.md');
  const chartDir = join(root, 'bench/charts');
  mkdirSync(chartDir, { recursive: true });
  const written: string[] = [];
  const charts = (c: Record<string, string>): void => {
    for (const [name, svg] of Object.entries(c)) {
      writeFileSync(join(chartDir, name), svg);
      written.push(name);
    }
  };
  const idle = results.get('idle') as ResultFile<IdleData> | undefined;
  const storm = results.get('storm') as ResultFile<StormData> | undefined;
  if (idle) {
    updateSection(md, SECTIONS.idle!, renderIdle(idle));
    charts(idleCharts(idle));
  }
  if (storm) {
    updateSection(md, SECTIONS.storm!, renderStorm(storm));
    charts(stormCharts(storm));
  }
  const fanout = results.get('fanout') as ResultFile<FanoutData> | undefined;
  if (fanout) {
    updateSection(md, SECTIONS.fanout!, renderFanout(fanout));
    charts(fanoutCharts(fanout));
  }
  updateSection(join(root, 'README.md'), 'Performance', readmeSection(idle, storm, fanout !== undefined));
  return written;
}

function readmeSection(idle: ResultFile<IdleData> | undefined, storm: ResultFile<StormData> | undefined, fanout: boolean): string {
  const rows: string[][] = [];
  if (idle) {
    for (const m of idle.data.medians.filter((x) => x.target === 'tidings')) {
      const ws = idle.data.medians.find((x) => x.target === 'ws' && x.count === m.count);
      rows.push([`RSS per idle authenticated connection (member of ${idle.data.options.groups} groups), ${int(m.count)} connections`, `${f1(m.rssPerConnKB)} KB`, `<= ${IDLE_TARGET_KB} KB`, `${ratio(m.rssPerConnKB, ws?.rssPerConnKB)} of a bare ws socket`]);
    }
  }
  if (storm?.data.median) {
    const s = storm.data.median;
    const b = storm.data.baseline;
    const lost = storm.data.trials.reduce((a, t) => a + t.lost + t.duplicates + t.outOfOrder + t.wrongContent, 0);
    const other = Math.max(0, ...storm.data.trials.map((t) => t.otherCpu));
    const busy = storm.data.trials.some((t) => t.noisy) ? `; other work used up to ${(other * 100).toFixed(0)}% of a core during the trials` : '';
    rows.push([
      `reconnect storm: ${int(storm.data.options.clients)} clients x ${storm.data.options.convs * storm.data.options.perConv} missed messages, all synced (checked)`,
      `${(s.allSyncedMs / 1000).toFixed(2)} s, ${lost} lost/duplicate/out of order`, `< ${STORM_TARGET_MS / 1000} s, 0 lost`,
      b ? `${ratio(s.allSyncedMs, b.allSyncedMs)} of a bare ws server just connecting${busy}` : busy,
    ]);
    rows.push(['reconnect storm: connect p99', `${int(s.connectP99)} ms`, '-', b ? `${ratio(s.connectP99, b.connect.p99)} of a bare ws server` : '-']);
    rows.push(['reconnect storm: server CPU, peak RSS', `${(s.serverCpuMs / 1000).toFixed(1)} s, ${int(s.peakRssMiB)} MiB`, '-', b ? `${ratio(s.peakRssMiB, b.peakRssMiB)} the RSS of a bare ws server` : '-']);
  }
  return [
    'Benchmarks run with `npm run bench -- <name>` (`npm run bench -- all` runs every one, then `report`); every figure, with the machine,',
    'commit, command and every trial, is in [bench/RESULTS.md](bench/RESULTS.md), generated from [bench/results/](bench/results/) by',
    '`npm run bench -- report`. Measured on a 2-core machine shared with other work; the peers (plain `ws`, Socket.IO, NATS, Mosquitto)',
    'run in the same run with the same generator.',
    '',
    rows.length ? markdownTable(['measure', 'Tidings', 'target', 'vs baseline'], rows) : '(no results yet)',
    '',
    ...(idle ? ['![RSS per idle connection](bench/charts/idle-memory.svg)', ''] : []),
    ...(storm ? ['![reconnect storm: time until all synced](bench/charts/storm-sync.svg)', '![reconnect storm latency](bench/charts/storm-latency.svg)', ''] : []),
    ...(fanout ? ['Plain fan-out of the peers (ws relay, Socket.IO, and NATS / Mosquitto: no persistence, different protocol):', '', '![plain fan-out latency](bench/charts/fanout-latency.svg)', ''] : []),
  ].join('\n');
}

/** Command-line entry. */
export async function main(): Promise<void> {
  const written = report(ROOT);
  console.log(`updated bench/RESULTS.md and README.md; charts: ${written.join(', ') || 'none'}`);
}
