import { runStandalone } from '@dorandoran/service-kit';
import { loadStoreConfig } from './config';
import { startStoreService } from './service';

runStandalone('store', loadStoreConfig, startStoreService);
