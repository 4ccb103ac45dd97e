import { runStandalone } from '@dorandoran/service-kit';
import { loadAuthConfig } from './config';
import { startAuthService } from './service';

runStandalone('auth', loadAuthConfig, startAuthService);
