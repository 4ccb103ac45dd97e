import { runStandalone } from '@dorandoran/service-kit';
import { loadChatConfig } from './config';
import { startChatService } from './service';

runStandalone('chat', loadChatConfig, startChatService);
