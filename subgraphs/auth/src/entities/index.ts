import { eventEntities } from '@dorandoran/service-kit';
import { Account } from './Account.entity';
import { LoginAttempt } from './LoginAttempt.entity';
import { PasswordResetCode } from './PasswordResetCode.entity';
import { RefreshToken } from './RefreshToken.entity';
import { RevokedSession } from './RevokedSession.entity';
import { Session } from './Session.entity';
import { SigningKey } from './SigningKey.entity';

/** Every entity of this subgraph, listed explicitly for the ORM. */
export const entities = [Account, LoginAttempt, PasswordResetCode, RefreshToken, RevokedSession, Session, SigningKey, ...eventEntities];
