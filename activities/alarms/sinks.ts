import type { Alarm } from './alarm';

/** Somewhere alarms go. `deliver` resolves once the sink has accepted the alarm, or throws. */
export interface AlarmSink {
  /** Stable: the alarm marker records deliveries by this name. */
  readonly name: string;
  deliver(alarm: Alarm): Promise<void>;
}
