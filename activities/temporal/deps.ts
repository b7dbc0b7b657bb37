import type { Config } from '../../config/schema';
import type { ObjectStore } from '../store/object-store';

/** What activity implementations close over. Built once per worker process (see workers/). */
export interface ActivityDeps {
  config: Config;
  store: ObjectStore;
}
