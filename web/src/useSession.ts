import { useSyncExternalStore } from 'react';
import { session, type Session } from './session';

/** The signed-in session, re-rendering on sign-in, refresh and sign-out. */
export const useSession = (): Session | null => useSyncExternalStore(session.subscribe, session.get);

/** True while the app asks the router whether its cookie still holds a session (a reload, a new tab). */
export const useRestoringSession = (): boolean => useSyncExternalStore(session.subscribe, session.isRestoring);
