import { z } from 'zod';

/**
 * The one configuration schema. Sources, lowest precedence first: built-in defaults, a config file
 * (JSON or YAML: --config or PRAXI_CONFIG), PRAXI_* environment variables, CLI flags.
 * Credentials never live here: they come from the environment or files named below (see README).
 */

const hostPort = z.string().regex(/^[A-Za-z0-9.\-[\]:]+:\d{1,5}$/, 'expected HOST:PORT');

export const StoreConfigSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('local'),
      /** Directory holding tagsets, models and reports. Relative paths resolve from the working directory. */
      dir: z.string().min(1).default('.praxi/store'),
    })
    .strict(),
  z
    .object({
      kind: z.literal('s3'),
      bucket: z.string().min(3, 'S3 bucket names have at least 3 characters'),
      prefix: z.string().default(''),
      region: z.string().default('us-east-1'),
      /** Any S3-compatible endpoint URL; omit for AWS. */
      endpoint: z.url().optional(),
      forcePathStyle: z.boolean().default(false),
    })
    .strict(),
]);
export type StoreConfig = z.infer<typeof StoreConfigSchema>;

export const ConfigSchema = z
  .object({
    /** Where praxi keeps local state: the dev server's SQLite file, the default store, caches. */
    dataDir: z.string().min(1).default('.praxi'),
    temporal: z
      .object({
        address: hostPort.default('127.0.0.1:7233'),
        namespace: z.string().min(1).default('default'),
        uiUrl: z.url().default('http://127.0.0.1:8233'),
        /** Use TLS to reach the server (Temporal Cloud or a TLS-fronted cluster). */
        tls: z.boolean().default(false),
        taskQueues: z
          .object({
            scan: z.string().min(1).default('praxi-scan'),
            infer: z.string().min(1).default('praxi-infer'),
            train: z.string().min(1).default('praxi-train'),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    store: StoreConfigSchema.prefault({ kind: 'local' }),
    registry: z
      .object({
        /** Platform picked from multi-arch indexes. */
        platform: z
          .string()
          .regex(/^[a-z0-9]+\/[a-z0-9_]+(\/[a-z0-9]+)?$/, 'expected OS/ARCH[/VARIANT]')
          .default('linux/amd64'),
        /** Registries reached over plain HTTP besides loopback ones, as HOST[:PORT]. */
        insecure: z.array(z.string().min(1)).default([]),
        /** A Docker config.json with registry credentials; default $DOCKER_CONFIG/config.json or ~/.docker/config.json. */
        dockerConfig: z.string().optional(),
        requestTimeoutMs: z.number().int().positive().default(30_000),
        maxRetries: z.number().int().min(0).max(20).default(5),
      })
      .strict()
      .prefault({}),
    scan: z
      .object({
        /** Registry the schedule polls, as HOST[:PORT]. */
        registry: z.string().optional(),
        /** Repositories to poll: names or globs; empty means the whole catalog. */
        repositories: z.array(z.string().min(1)).default([]),
        /** Child scans in flight at once per scanRegistry run. */
        maxConcurrentScans: z.number().int().min(1).max(500).default(8),
        /** Schedule interval for registry polling, e.g. "5m", "1h". */
        every: z
          .string()
          .regex(/^\d+[smhd]$/, 'expected a number and a unit: 30s, 5m, 1h, 1d')
          .default('10m'),
      })
      .strict()
      .prefault({}),
    tokenizer: z
      .object({
        name: z.enum(['columbus', 'columbus-praxi']).default('columbus'),
        /** Minimum distinct one-character-longer continuations for a prefix to become a tag. */
        threshold: z.number().int().min(1).max(10).default(1),
        /** Drop tags seen in this many labels' training data or more (0 = off). */
        sharedTagLimit: z.number().int().min(0).default(0),
      })
      .strict()
      .prefault({}),
    model: z
      .object({
        /** Pin a model version; default: the store's current version, else the shipped model. */
        version: z.string().optional(),
        /** Training (models/train): how labels are grouped into experts, and each booster's settings. */
        routing: z.enum(['verpak', 'nover', 'clustering']).default('verpak'),
        /** Labels per expert (verpak never splits a package's versions). */
        groupSize: z.number().int().min(1).max(1000).default(3),
        /** Feature values: tag present (1) or its count; absent tags are always XGBoost's missing value. */
        encoding: z.enum(['presence', 'count']).default('presence'),
        rounds: z.number().int().min(1).max(10_000).default(100),
        maxDepth: z.number().int().min(1).max(10).default(1),
        eta: z.number().positive().max(1).default(0.1),
        /** Negatives per expert: the most similar samples of other labels, and random ones. */
        hardNegatives: z.number().int().min(0).default(100),
        randomNegatives: z.number().int().min(0).default(60),
        /** Training threads; default one per core. */
        trainWorkers: z.number().int().min(1).max(64).optional(),
      })
      .strict()
      .prefault({}),
    risk: z
      .object({
        /** OSV advisories: a directory, a zip or a URL. Default: the bundled PyPI snapshot. */
        advisories: z.string().optional(),
        /** Flag a finding this many released versions behind the latest known one. */
        outdatedVersionsBehind: z.number().int().min(1).default(3),
        /** Flag a finding whose version is this many days older than the latest (when dates are known). */
        outdatedDaysBehind: z.number().int().min(1).default(365),
        /** Rating for advisories no source rated (no CVSS vector, no database severity). */
        defaultSeverity: z.enum(['LOW', 'MODERATE', 'HIGH', 'CRITICAL']).default('MODERATE'),
        /** A directory of latest-<ecosystem>.json files (praxi.latest/v1) replacing the shipped ones. */
        latestVersionsDir: z.string().optional(),
        /** A PyPI-compatible JSON API root (`<root>/pypi/NAME/json`) asked for releases; off when unset. */
        pypiJsonApi: z.url().optional(),
        /** An npm registry root (`<root>/NAME`) asked for releases; off when unset. */
        npmRegistry: z.url().optional(),
      })
      .strict()
      .prefault({}),
    alarms: z
      .object({
        minSeverity: z.enum(['LOW', 'MODERATE', 'HIGH', 'CRITICAL']).default('LOW'),
        log: z.boolean().default(true),
        /** JSON POST target; its HMAC secret comes from PRAXI_WEBHOOK_SECRET or webhookSecretFile. */
        webhookUrl: z.url().optional(),
        webhookSecretFile: z.string().optional(),
        /** POST attempts per alarm (exponential backoff between them) before the delivery counts as failed. */
        webhookMaxAttempts: z.number().int().min(1).max(20).default(5),
        /** Raise alarms (severity LOW) for outdated packages too, not only vulnerable ones. */
        outdated: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    collect: z
      .object({
        /** Scratch space for training-data collection: debootstrap rootfs, artifact cache, raw changesets. */
        scratchDir: z.string().min(1).default('.praxi/collect'),
        /** Real installs (containers) in flight at once. */
        containerConcurrency: z.number().int().min(1).max(32).default(2),
        /** Static-path recipes (artifact listings) in flight at once. */
        staticConcurrency: z.number().int().min(1).max(64).default(12),
        /** Per-install limit; an install over it is killed and recorded as failed (`timeout`). */
        installTimeoutMs: z.number().int().positive().default(600_000),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type Config = z.infer<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;
