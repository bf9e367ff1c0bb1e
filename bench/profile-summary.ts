/**
 * Summarises a V8 `.cpuprofile` (as written by `BENCH_PROFILE=1 npm run bench`): self time by
 * area (our src/, each node_modules package, Node internals, GC, idle), the top functions by
 * self time, and inclusive time of the functions that matter most.
 *
 *   npx tsx bench/profile-summary.ts bench/results/profiles/<file>.cpuprofile [top=25]
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
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
  return `${frame.functionName || '(anonymous)'} ${file}${file ? `:${frame.lineNumber + 1}` : ''}`;
}

function main(): void {
  const [file, topArg] = process.argv.slice(2);
  if (!file) throw new Error('usage: tsx bench/profile-summary.ts <file.cpuprofile> [top]');
  const top = Number(topArg ?? 25);
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
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
