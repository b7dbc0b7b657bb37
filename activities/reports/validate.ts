import Ajv from 'ajv';
import { REPORT_JSON_SCHEMA } from './report-schema';
import type { ImageReport } from './report';

let compiled: ReturnType<Ajv['compile']> | undefined;

/** Errors of a report against `praxi.report/v1` (empty when valid), as `path: message` lines. */
export function reportSchemaErrors(report: unknown): string[] {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: true, strict: true });
    // RFC 3339 date-time, without pulling in ajv-formats for one format.
    ajv.addFormat('date-time', {
      type: 'string',
      validate: (s: string) =>
        /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(s) &&
        !Number.isNaN(Date.parse(s)),
    });
    compiled = ajv.compile(REPORT_JSON_SCHEMA);
  }
  if (compiled(report)) return [];
  return (compiled.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message ?? 'invalid'}`);
}

export function isValidReport(report: unknown): report is ImageReport {
  return reportSchemaErrors(report).length === 0;
}
