import { Counter, Registry } from 'prom-client';
import type { Alarm } from './alarm';
import type { AlarmSink } from './sinks';

export const ALARM_COUNTER_NAME = 'praxi_alarms_total';

/**
 * Counts alarms in `praxi_alarms_total{severity,kind}` on a registry the caller exposes (a worker's
 * /metrics endpoint). Several sinks on one registry share the counter.
 */
export class PrometheusSink implements AlarmSink {
  readonly name = 'prometheus';
  readonly counter: Counter<'severity' | 'kind'>;

  constructor(readonly registry: Registry = new Registry()) {
    const existing = registry.getSingleMetric(ALARM_COUNTER_NAME) as Counter<'severity' | 'kind'> | undefined;
    this.counter =
      existing ??
      new Counter({
        name: ALARM_COUNTER_NAME,
        help: 'Alarms raised by praxi (each (image digest, advisory) counts once), by severity and kind',
        labelNames: ['severity', 'kind'],
        registers: [registry],
      });
  }

  async deliver(alarm: Alarm): Promise<void> {
    this.counter.inc({ severity: alarm.severity, kind: alarm.kind });
  }
}
