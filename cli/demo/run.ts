import * as path from 'node:path';
import { ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { RegistryClient } from '../../activities/registry/client';
import { readReport } from '../../activities/reports/report-store';
import { type Finding, uncertainVersions } from '../../activities/reports/finding';
import type { ImageReport } from '../../activities/reports/report';
import type { ObjectStore } from '../../activities/store/object-store';
import type { Config } from '../../config/schema';
import { currentVersion, getManifest } from '../../models/registry';
import type { ScanRegistryTotals } from '../../workflows/scan-registry';
import { buildDemoImage, type DemoImageSpec } from './images';
import { pushImage } from './layers';

/** Old releases with published advisories: what the alarms of the demo are about. */
const LEGACY: Record<string, string> = {
  requests: '2.25.1',
  urllib3: '1.26.4',
  jinja2: '2.11.2',
  pyyaml: '5.3.1',
  idna: '2.10',
};

/**
 * Versions the model knows, for the images that show what the model sees: the oldest known version of
 * each package (else the legacy one, and the model will not know it).
 */
export async function chooseVersions(store: ObjectStore): Promise<Record<string, string>> {
  const out = { ...LEGACY };
  const v = await currentVersion(store);
  if (!v) return out;
  const labels = (await getManifest(store, v)).labels;
  for (const name of Object.keys(LEGACY)) {
    const known = labels
      .filter((l) => l.startsWith(`pypi:${name}==`))
      .map((l) => l.slice(`pypi:${name}==`.length))
      .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
    if (known.length) out[name] = known[0];
  }
  return out;
}

export function demoImages(known: Record<string, string>): DemoImageSpec[] {
  const pin = (v: Record<string, string>, n: string) => `${n}==${v[n]}`;
  const app = [
    { pypi: [pin(known, 'requests'), pin(known, 'urllib3'), pin(known, 'idna')] },
    { pypi: [pin(known, 'jinja2')] },
  ];
  return [
    {
      repository: 'demo/webapp',
      tag: '1.0',
      about: 'requests, urllib3, idna, jinja2 with pip, records intact',
      layers: app,
    },
    {
      repository: 'demo/webapp-stripped',
      tag: '1.0',
      about: 'the same installs with every *.dist-info removed: only the model can see them',
      layers: app,
      stripRecords: true,
    },
    {
      repository: 'demo/legacy',
      tag: '1.0',
      about: 'old releases with published advisories',
      layers: [{ pypi: ['requests', 'urllib3', 'idna', 'jinja2', 'pyyaml'].map((n) => pin(LEGACY, n)) }],
    },
    {
      repository: 'demo/tools',
      tag: '1.0',
      about: 'lodash installed with npm',
      layers: [{ npm: ['lodash==4.17.20'] }],
    },
  ];
}

export async function buildAndPush(
  config: Config,
  registryHost: string,
  versions: Record<string, string>,
  log: (s: string) => void,
): Promise<void> {
  const client = new RegistryClient({ registry: config.registry });
  const work = path.resolve(config.dataDir, 'demo', 'build');
  for (const spec of demoImages(versions)) {
    log(`building ${spec.repository}:${spec.tag} (${spec.about})`);
    const layers = await buildDemoImage(spec, work, log);
    const digest = await pushImage(client, registryHost, spec.repository, spec.tag, layers);
    log(`  pushed ${registryHost}/${spec.repository}:${spec.tag} ${digest}`);
  }
}

/** Creates (or replaces) the demo's polling schedule, triggers it once and waits for that poll. */
export async function pollOnce(
  client: Client,
  config: Config,
  registryHost: string,
): Promise<{ totals: ScanRegistryTotals; workflowId: string }> {
  const scheduleId = 'praxi-demo';
  const handle = client.schedule.getHandle(scheduleId);
  await handle.delete().catch(() => undefined);
  const schedule = await client.schedule.create({
    scheduleId,
    spec: { intervals: [{ every: '1 hour' }] },
    action: {
      type: 'startWorkflow',
      workflowType: 'scanRegistry',
      workflowId: `scan-registry/${registryHost}`,
      taskQueue: config.temporal.taskQueues.scan,
      args: [
        {
          registry: registryHost,
          repositories: ['demo/*'],
          maxConcurrent: 3,
          inferQueue: config.temporal.taskQueues.infer,
        },
      ],
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP },
    state: { note: `praxi demo: poll ${registryHost} every hour` },
  });
  const before = (await schedule.describe()).info.recentActions.length;
  await schedule.trigger(ScheduleOverlapPolicy.ALLOW_ALL);
  for (;;) {
    const actions = (await schedule.describe()).info.recentActions;
    if (actions.length > before) {
      const wf = actions[actions.length - 1].action.workflow;
      const totals = (await client.workflow
        .getHandle(wf.workflowId, wf.firstExecutionRunId)
        .result()) as ScanRegistryTotals;
      return { totals, workflowId: wf.workflowId };
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}

const uncertainNote = (f: Finding): string => {
  const others = uncertainVersions(f);
  return others ? `  (version uncertain${others.length ? `; or ${others.join(', ')}` : ''})` : '';
};

/** One line per finding and per alarm, for each scanned demo image. */
export function findingsTable(reports: ImageReport[]): string {
  const lines: string[] = [];
  for (const r of reports) {
    lines.push(`\n${r.image}  (${r.manifestDigest.slice(0, 19)}, model ${r.modelVersion})`);
    const rows = r.layers.flatMap((l) => l.findings.map((f) => ({ l: l.index, f })));
    if (rows.length === 0) lines.push('  no findings');
    for (const { l, f } of rows) {
      lines.push(
        `  layer ${l}  ${`${f.ecosystem}:${f.name}==${f.version}`.padEnd(34)} ${f.evidence.padEnd(8)} score ${f.score.toFixed(2)}` +
          uncertainNote(f),
      );
    }
    for (const a of r.alarms) {
      lines.push(
        `  ALARM ${a.severity.padEnd(8)} ${a.kind.padEnd(10)} ${a.package.name}==${a.package.version}  ${a.advisoryId}${a.summary ? `: ${a.summary.slice(0, 70)}` : ''}`,
      );
    }
  }
  return lines.join('\n');
}

export async function reportsOf(
  store: ObjectStore,
  client: Client,
  registryHost: string,
): Promise<ImageReport[]> {
  const reports: ImageReport[] = [];
  for await (const wf of client.workflow.list({
    query: `WorkflowType = 'scanImage' AND PraxiImageRepository STARTS_WITH '${registryHost}/demo/'`,
  })) {
    const digest = wf.workflowId.replace(/^scan\//, '');
    const marker = await store.get(`scans/sha256/${digest.slice(7)}.json`).catch(() => undefined);
    const manifestDigest = marker
      ? (JSON.parse(marker.toString()) as { manifestDigest: string }).manifestDigest
      : digest;
    const report = await readReport(store, manifestDigest).catch(() => undefined);
    if (report && !reports.some((r) => r.manifestDigest === report.manifestDigest)) reports.push(report);
  }
  return reports.sort((a, b) => (a.image < b.image ? -1 : 1));
}
