import { runStandalone } from '@dorandoran/service-kit';
import { loadUsersConfig } from './config';
import { startUsersService } from './service';

runStandalone('users', loadUsersConfig, startUsersService);
