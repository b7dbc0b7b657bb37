export * from './alarm';
export * from './dedupe';
export * from './deliver';
export type { AlarmSink } from './sinks';
export { LogSink } from './log-sink';
export { ALARM_COUNTER_NAME, PrometheusSink } from './prometheus-sink';
export { ALARM_KEY_HEADER, SIGNATURE_HEADER, signBody, WebhookSink, webhookSecretFrom } from './webhook-sink';
