import { useSyncExternalStore } from 'react';
import { session, type Session } from './session';

/** The signed-in session, re-rendering on sign-in, refresh and sign-out. */
export const useSession = (): Session | null => useSyncExternalStore(session.subscribe, session.get);
