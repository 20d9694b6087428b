import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { ROOT } from './processes';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileFrame {
  /** Share of all samples, in percent. */
  selfPercent: number;
  selfMs: number;
  function: string;
  /** Repository-relative file:line, a package name, or a V8 pseudo-frame. */
  where: string;
}

export interface ProfileSummary {
  file: string;
  durationMs: number;
  /** Percent of samples the process was idle (waiting in epoll): what was left unused. */
  idlePercent: number;
  topFrames: ProfileFrame[];
  /** Self time by area: our gateway/shared code, each npm package, node internals, GC. */
  byArea: { area: string; selfPercent: number }[];
}

/** Self time per function of a .cpuprofile, largest first, and per area. */
export async function summarizeProfile(file: string, top = 25): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, index) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
  });
  const total = [...selfUs.values()].reduce((sum, value) => sum + value, 0) || 1;
  const frames = new Map<string, ProfileFrame>();
  const areas = new Map<string, number>();
  let idle = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') idle += us;
    const where = locate(url, lineNumber);
    const name = functionName || '(anonymous)';
    const key = `${name}@${where}`;
    const frame = frames.get(key) ?? { selfPercent: 0, selfMs: 0, function: name, where };
    frame.selfMs += us / 1000;
    frames.set(key, frame);
    const area = areaOf(url, functionName);
    areas.set(area, (areas.get(area) ?? 0) + us);
  }
  const percent = (us: number) => Math.round((us / total) * 1000) / 10;
  return {
    file: relative(ROOT, file),
    durationMs: Math.round((profile.endTime - profile.startTime) / 1000),
    idlePercent: percent(idle),
    topFrames: [...frames.values()]
      .map((frame) => ({
        ...frame,
        selfMs: Math.round(frame.selfMs),
        selfPercent: percent(frame.selfMs * 1000),
      }))
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, top),
    byArea: [...areas]
      .map(([area, us]) => ({ area, selfPercent: percent(us) }))
      .sort((a, b) => b.selfPercent - a.selfPercent)
      .slice(0, 15),
  };
}

function locate(url: string, line: number): string {
  if (!url) return '(native)';
  const path = url.replace(/^file:\/\//, '');
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(path);
  if (match) return `${match[1]}/${match[2]}:${line + 1}`;
  if (path.startsWith('node:')) return `${path}:${line + 1}`;
  return `${relative(ROOT, path)}:${line + 1}`;
}

function areaOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const path = url.replace(/^file:\/\//, '');
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path);
  if (match) return match[1] as string;
  if (path.startsWith('node:')) return 'node internals';
  const local = relative(ROOT, path);
  return local
    .split('/')
    .slice(0, local.startsWith('realtime-gateway') ? 3 : 2)
    .join('/');
}
