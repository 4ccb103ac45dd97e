import { runStandalone } from '@dorandoran/service-kit';
import { loadRouterConfig } from './config';
import { startRouterService } from './service';

runStandalone('router', loadRouterConfig, startRouterService);
