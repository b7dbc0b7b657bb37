import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { WorkflowIdReusePolicy, WorkflowIdConflictPolicy } from '@temporalio/common';
import type { Command } from 'commander';
import { isPraxiError } from '../../activities/errors';
import { ImageResolver } from '../../activities/pipeline/image-cache';
import { createScanSteps } from '../../activities/pipeline/scan-steps';
import type { ScanSummary } from '../../activities/pipeline/scan-types';
import { formatReportTable } from '../../activities/reports/table';
import { readReport } from '../../activities/reports/report-store';
import type { ImageReport } from '../../activities/reports/report';
import { parseImageRef, formatRef } from '../../activities/registry/reference';
import { openStore } from '../../activities/store';
import type { ObjectStore } from '../../activities/store/object-store';
import { runScan } from '../../workflows/scan-plan';
import { configFrom } from '../context';
import { connectClient, workflowUrl } from '../temporal-client';

export function registerScan(program: Command): void {
  program
    .command('scan <image>')
    .description(
      'scan one image: HOST[:PORT]/REPO[:TAG|@DIGEST], Docker Hub shorthand (python:3.12), docker-daemon:NAME:TAG, ' +
        'docker-archive:PATH, oci-archive:PATH or oci:DIR. Runs as a scanImage workflow (id scan/<digest>: a digest is ' +
        'scanned once) unless --local',
    )
    .option('--wait', 'wait for the scan and print its findings (implied by --json)')
    .option(
      '--json',
      'print the report as JSON: {image, manifestDigest, modelVersion, layers, alarms, timings}',
    )
    .option('--local', 'run the same steps in this process, without a Temporal server')
    .option('--rescan', 'scan again even if this digest was scanned before (e.g. after a model update)')
    .option('--model <version>', 'model version to use (default: the current one)')
    .action(
      async (
        image: string,
        opts: { wait?: boolean; json?: boolean; local?: boolean; rescan?: boolean; model?: string },
        cmd: Command,
      ) => {
        const config = configFrom(cmd);
        const ref = parseImageRef(image);
        const store = openStore(config.store);
        const images = new ImageResolver(config);
        const progress = opts.json ? undefined : (line: string) => process.stderr.write(`${line}\n`);

        if (opts.local) {
          const steps = createScanSteps({ config, store, images }, () => ({
            onProgress: progress
              ? throttledBytes((b) => progress(`  read ${(b / 1e6).toFixed(1)} MB`))
              : undefined,
          }));
          const { summary, layerErrors } = await runScan(
            {
              ...steps,
              now: () => Date.now(),
              describeError: (e) =>
                isPraxiError(e)
                  ? { code: e.code, message: e.message }
                  : { code: 'INTERNAL', message: String((e as Error)?.message ?? e) },
              onResolved: (img) =>
                progress?.(`${img.reference}: ${img.layers.length} layers, manifest ${img.manifestDigest}`),
            },
            { reference: formatRef(ref), modelVersion: opts.model, trigger: 'cli --local' },
          );
          await printResult(store, summary, opts);
          if (layerErrors.length) process.exitCode = 4;
          return;
        }

        // The workflow id is the digest the reference points at, so the same image is scanned once.
        const digest =
          ref.kind === 'registry'
            ? (ref.digest ?? (await images.registryClient.resolveDigest(ref)))
            : (await images.resolve(formatRef(ref))).manifestDigest;
        const pinned = ref.kind === 'registry' ? `${ref.host}/${ref.repository}@${digest}` : formatRef(ref);
        const workflowId = `scan/${digest}`;
        const { client, close } = await connectClient(config);
        try {
          let handle;
          try {
            handle = await client.workflow.start('scanImage', {
              taskQueue: config.temporal.taskQueues.scan,
              workflowId,
              args: [
                {
                  reference: pinned,
                  modelVersion: opts.model,
                  inferQueue: config.temporal.taskQueues.infer,
                  trigger: 'cli',
                },
              ],
              workflowIdReusePolicy: opts.rescan
                ? WorkflowIdReusePolicy.ALLOW_DUPLICATE
                : WorkflowIdReusePolicy.REJECT_DUPLICATE,
              // A scan of this digest already running: attach to it instead of failing.
              workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
            });
            progress?.(`started ${workflowId}: ${workflowUrl(config, workflowId)}`);
          } catch (e) {
            if (!(e instanceof WorkflowExecutionAlreadyStartedError)) throw e;
            handle = client.workflow.getHandle(workflowId);
            progress?.(
              `${pinned} was scanned before (${workflowId}); showing that scan. Use --rescan to scan again.`,
            );
          }
          if (!opts.wait && !opts.json) {
            console.log(workflowId);
            return;
          }
          const summary = (await handle.result()) as ScanSummary;
          await printResult(store, summary, opts);
        } finally {
          await close();
        }
      },
    );
}

async function printResult(
  store: ObjectStore,
  summary: ScanSummary,
  opts: { json?: boolean },
): Promise<void> {
  const report = await readReport(store, summary.manifestDigest);
  if (opts.json) {
    console.log(JSON.stringify(scanJson(report), null, 2));
  } else {
    console.log(formatReportTable(report));
  }
}

/** The `scan --json` shape (a subset of the stored report, same names). */
export function scanJson(report: ImageReport) {
  return {
    image: report.image,
    manifestDigest: report.manifestDigest,
    modelVersion: report.modelVersion,
    layers: report.layers.map((l) => ({
      index: l.index,
      digest: l.digest,
      findings: l.findings.map((f) => ({
        ecosystem: f.ecosystem,
        name: f.name,
        version: f.version,
        score: f.score,
        evidence: f.evidence,
      })),
      ...(l.error ? { error: l.error } : {}),
    })),
    vulnerabilities: report.vulnerabilities,
    outdated: report.outdated,
    alarms: report.alarms,
    timings: report.timings,
  };
}

function throttledBytes(fn: (bytes: number) => void): (bytes: number) => void {
  let last = 0;
  return (b) => {
    if (b - last >= 32 << 20) {
      last = b;
      fn(b);
    }
  };
}
