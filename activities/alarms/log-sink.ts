import type { Alarm } from './alarm';
import type { AlarmSink } from './sinks';

/**
 * One JSON line per alarm (`{"msg":"praxi alarm",...}`), for log pipelines that parse JSON. Written to
 * stderr with the other logs, so a command's stdout (`praxi scan --json`) stays its result alone.
 */
export class LogSink implements AlarmSink {
  readonly name = 'log';
  constructor(private readonly write: (line: string) => void = (line) => process.stderr.write(`${line}\n`)) {}

  async deliver(alarm: Alarm): Promise<void> {
    this.write(
      JSON.stringify({
        msg: 'praxi alarm',
        severity: alarm.severity,
        kind: alarm.kind,
        key: alarm.key,
        image: alarm.imageDigest,
        ...(alarm.repository ? { repository: alarm.repository } : {}),
        advisory: alarm.advisoryId,
        package: `${alarm.package.ecosystem}:${alarm.package.name}==${alarm.package.version}`,
        ...(alarm.fixed?.length ? { fixed: alarm.fixed } : {}),
      }),
    );
  }
}
