import { runStandalone } from '@dorandoran/service-kit';
import { loadBatchConfig } from './config';
import { startBatchService } from './service';

runStandalone('batch', loadBatchConfig, startBatchService);
