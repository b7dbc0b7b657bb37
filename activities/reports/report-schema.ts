/**
 * JSON Schema (draft-07) of `praxi.report/v1`. Consumers validate reports with it; the tests validate
 * every report they make. Objects allow extra properties so v1 can grow without breaking readers.
 */
const severity = { enum: ['LOW', 'MODERATE', 'HIGH', 'CRITICAL'] };
const ecosystem = { enum: ['pypi', 'npm', 'deb'] };
const digest = { type: 'string', pattern: '^sha256:[0-9a-f]{64}$' };
const nonEmpty = { type: 'string', minLength: 1 };
const evidence = { enum: ['ml', 'metadata', 'both'] };
const findingRef = {
  layerIndex: { type: 'integer', minimum: 0 },
  ecosystem,
  name: nonEmpty,
  version: nonEmpty,
};

export const REPORT_JSON_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'urn:praxi:schema:report:v1',
  title: 'praxi image report, v1',
  type: 'object',
  required: [
    'schema',
    'image',
    'manifestDigest',
    'modelVersion',
    'createdAt',
    'layers',
    'vulnerabilities',
    'outdated',
    'alarms',
    'timings',
  ],
  properties: {
    schema: { const: 'praxi.report/v1' },
    image: nonEmpty,
    repository: { type: 'string' },
    manifestDigest: digest,
    platform: { type: 'string' },
    distro: {
      type: 'object',
      required: ['id'],
      properties: { id: nonEmpty, versionId: { type: 'string' }, codename: { type: 'string' } },
    },
    modelVersion: nonEmpty,
    advisoryDb: {
      type: 'object',
      required: ['digest', 'source'],
      properties: { digest, source: { type: 'string' } },
    },
    createdAt: { type: 'string', format: 'date-time' },
    layers: {
      type: 'array',
      items: {
        type: 'object',
        required: ['index', 'digest', 'findings'],
        properties: {
          index: { type: 'integer', minimum: 0 },
          digest,
          findings: {
            type: 'array',
            items: {
              type: 'object',
              required: ['ecosystem', 'name', 'version', 'score', 'evidence'],
              properties: {
                ecosystem,
                name: nonEmpty,
                version: nonEmpty,
                score: { type: 'number', minimum: 0, maximum: 1 },
                evidence,
                expert: { type: 'string' },
                locations: { type: 'array', items: { type: 'string' } },
                mlScore: { type: 'number', minimum: 0, maximum: 1 },
                alternatives: {
                  type: 'array',
                  items: {
                    type: 'object',
                    required: ['version', 'score'],
                    properties: { version: nonEmpty, score: { type: 'number' }, expert: { type: 'string' } },
                  },
                },
                sourceName: { type: 'string' },
                versionUncertain: { const: true },
              },
            },
          },
          error: {
            type: 'object',
            required: ['code', 'message'],
            properties: { code: nonEmpty, message: { type: 'string' } },
          },
        },
      },
    },
    vulnerabilities: {
      type: 'array',
      items: {
        type: 'object',
        required: [
          'layerIndex',
          'ecosystem',
          'name',
          'version',
          'advisoryId',
          'aliases',
          'severity',
          'fixed',
          'evidence',
        ],
        properties: {
          ...findingRef,
          advisoryId: nonEmpty,
          aliases: { type: 'array', items: { type: 'string' } },
          severity,
          severityAssumed: { type: 'boolean' },
          cvssScore: { type: 'number', minimum: 0, maximum: 10 },
          fixed: { type: 'array', items: { type: 'string' } },
          summary: { type: 'string' },
          url: { type: 'string' },
          evidence,
        },
      },
    },
    outdated: {
      type: 'array',
      items: {
        type: 'object',
        required: ['layerIndex', 'ecosystem', 'name', 'version', 'latest', 'evidence'],
        properties: {
          ...findingRef,
          latest: nonEmpty,
          versionsBehind: { type: 'integer', minimum: 0 },
          daysBehind: { type: 'integer', minimum: 0 },
          evidence,
        },
      },
    },
    alarms: {
      type: 'array',
      items: {
        type: 'object',
        required: ['key', 'kind', 'imageDigest', 'advisoryId', 'package', 'severity', 'raisedAt'],
        properties: {
          key: nonEmpty,
          kind: { enum: ['vulnerable', 'outdated'] },
          imageDigest: digest,
          repository: { type: 'string' },
          advisoryId: nonEmpty,
          package: {
            type: 'object',
            required: ['ecosystem', 'name', 'version'],
            properties: { ecosystem, name: nonEmpty, version: nonEmpty },
          },
          severity,
          raisedAt: { type: 'string', format: 'date-time' },
        },
      },
    },
    timings: { type: 'object', additionalProperties: { type: 'number', minimum: 0 } },
  },
} as const;
