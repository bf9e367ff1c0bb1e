/**
 * Summarises a V8 `.cpuprofile` (as written by `BENCH_PROFILE=1 npm run bench`): self time by
 * area (our src/, each node_modules package, Node internals, GC, idle), the top functions by
 * self time, and inclusive time of the functions that matter most.
 *
 *   npx tsx bench/profile-summary.ts bench/results/profiles/<file>.cpuprofile [top=25]
 *
 * tsx compiles each of our modules to one long line, so positions in the profile are mapped
 * back to source lines with the `sourcemaps.<pid>.json` the profiled server wrote beside it
 * (lib/child.ts); without that file our functions show as `file:line:column` of tsx's output.
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { basename, dirname, join } from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

/** Source maps by module URL, from the sourcemaps.<pid>.json next to `profileFile`, if any. */
function loadSourceMaps(profileFile: string): Map<string, SourceMap> {
  // Node names profiles CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile.
  const pid = basename(profileFile).split('.')[3];
  const file = join(dirname(profileFile), `sourcemaps.${pid}.json`);
  if (!pid || !existsSync(file)) return new Map();
  const payloads = JSON.parse(readFileSync(file, 'utf8')) as Record<string, SourceMapPayload>;
  return new Map(Object.entries(payloads).map(([url, payload]) => [url, new SourceMap(payload)]));
}

let sourceMaps = new Map<string, SourceMap>();

/** The frame's position in the source (1-based line), or in the compiled output as line:column. */
function position(frame: CallFrame): string {
  const entry = sourceMaps.get(frame.url)?.findEntry(frame.lineNumber, frame.columnNumber);
  if (entry && 'originalLine' in entry) return `${entry.originalLine + 1}`;
  if (frame.url.includes('node_modules/') || frame.url.startsWith('node:')) return `${frame.lineNumber + 1}`;
  return `${frame.lineNumber + 1}:${frame.columnNumber + 1}`;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

function area(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm !== -1) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const src = url.indexOf('/src/');
  if (src !== -1 && !url.startsWith('node:'))
    return `src/${
      url
        .slice(src + 5)
        .split('/')
        .slice(0, -1)
        .join('/') || '.'
    }`;
  if (url.startsWith('node:')) return 'node internals';
  return url.includes('/bench/') ? 'bench' : url;
}

function label(frame: CallFrame): string {
  const file = frame.url
    .replace(/^.*node_modules\//, '')
    .replace(/^.*\/(src|bench)\//, '$1/')
    .replace(/^file:\/\//, '');
  return `${frame.functionName || '(anonymous)'} ${file}${file ? `:${position(frame)}` : ''}`;
}

function main(): void {
  const [file, topArg] = process.argv.slice(2);
  if (!file) throw new Error('usage: tsx bench/profile-summary.ts <file.cpuprofile> [top]');
  const top = Number(topArg ?? 25);
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  sourceMaps = loadSourceMaps(file);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const totalUs = [...self.values()].reduce((a, b) => a + b, 0);
  const idleUs = [...self.entries()]
    .filter(([id]) => byId.get(id)!.callFrame.functionName === '(idle)')
    .reduce((a, [, us]) => a + us, 0);
  const busyUs = totalUs - idleUs;
  const pct = (us: number) => `${((us / busyUs) * 100).toFixed(1).padStart(5)}%`;

  const sum = (keyOf: (n: ProfileNode) => string) => {
    const m = new Map<string, number>();
    for (const [id, us] of self) {
      const node = byId.get(id)!;
      if (node.callFrame.functionName === '(idle)') continue;
      const k = keyOf(node);
      m.set(k, (m.get(k) ?? 0) + us);
    }
    return [...m.entries()].sort((a, b) => b[1] - a[1]);
  };

  // Inclusive: each sample counts once for every distinct function on its stack.
  const inclusive = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const k = label(byId.get(cur)!.callFrame);
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + (profile.timeDeltas[i] ?? 0));
    }
  });

  const out: string[] = [];
  out.push(
    `profile ${file}: ${(totalUs / 1e6).toFixed(2)} s sampled, busy ${(busyUs / 1e6).toFixed(2)} s (percentages are of busy time)`,
  );
  out.push('', 'self time by area:');
  for (const [k, us] of sum((n) => area(n.callFrame)).slice(0, top)) out.push(`  ${pct(us)}  ${k}`);
  out.push('', 'top functions by self time:');
  for (const [k, us] of sum((n) => label(n.callFrame)).slice(0, top)) out.push(`  ${pct(us)}  ${k}`);
  out.push('', 'inclusive time, our code and its hot spots:');
  const interesting = [...inclusive.entries()]
    .filter(([k]) =>
      / src\/|jsonParser|zod|express|router|dynalite|level|@aws-sdk|@smithy|sigv4|verify|encodeContext|randomUUID|createHmac|createHash/i.test(
        k,
      ),
    )
    .sort((a, b) => b[1] - a[1])
    .slice(0, top * 2);
  for (const [k, us] of interesting) out.push(`  ${pct(us)}  ${k}`);
  process.stdout.write(`${out.join('\n')}\n`);
}

main();
