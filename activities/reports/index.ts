export * from './finding';
export * from './report';
export { REPORT_JSON_SCHEMA } from './report-schema';
export { purlOf, toCycloneDx } from './cyclonedx';
export { formatReportTable } from './table';
export * from './report-store';
export { isValidReport, reportSchemaErrors } from './validate';
