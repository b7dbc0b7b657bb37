import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Custom search attributes that make scans findable in the Temporal UI. Registered by `praxi dev` and the test harness. */
export const IMAGE_REPOSITORY = defineSearchAttributeKey('PraxiImageRepository', SearchAttributeType.KEYWORD);
export const MANIFEST_DIGEST = defineSearchAttributeKey('PraxiManifestDigest', SearchAttributeType.KEYWORD);
export const FINDINGS_COUNT = defineSearchAttributeKey('PraxiFindingsCount', SearchAttributeType.INT);
export const ALARM_COUNT = defineSearchAttributeKey('PraxiAlarmCount', SearchAttributeType.INT);
export const MODEL_VERSION = defineSearchAttributeKey('PraxiModelVersion', SearchAttributeType.KEYWORD);

export const ALL_SEARCH_ATTRIBUTES = [
  IMAGE_REPOSITORY,
  MANIFEST_DIGEST,
  FINDINGS_COUNT,
  ALARM_COUNT,
  MODEL_VERSION,
];

/** The same keys in the `NAME=Type` form that `temporal server start-dev --search-attribute` takes. */
export const SEARCH_ATTRIBUTE_FLAGS = ALL_SEARCH_ATTRIBUTES.map(
  (k) => `${k.name}=${k.type === SearchAttributeType.INT ? 'Int' : 'Keyword'}`,
);
