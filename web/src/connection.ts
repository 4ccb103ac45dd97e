import { useSyncExternalStore } from 'react';
import { socket } from './apollo';

/**
 * The subscriptions' socket as a person would describe it: `idle` while nothing needs it (the
 * socket is lazy and closes normally when the last subscription ends), `connecting` on the way up,
 * `connected`, and `lost` from an unexpected close until it is connected again (graphql-ws keeps
 * retrying meanwhile, and its retries' `connecting` does not hide the outage).
 */
export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'lost';

const NORMAL_CLOSURE = 1000;

let state: ConnectionState = 'idle';
const listeners = new Set<() => void>();

function set(next: ConnectionState) {
  if (next === state) return;
  state = next;
  for (const listener of listeners) listener();
}

socket.on('connecting', () => set(state === 'lost' ? 'lost' : 'connecting'));
socket.on('connected', () => set('connected'));
socket.on('closed', (event) => set((event as CloseEvent | undefined)?.code === NORMAL_CLOSURE ? 'idle' : 'lost'));

export function connectionState(): ConnectionState {
  return state;
}

export function onConnectionChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The socket's state, re-rendering when it changes. */
export const useConnection = (): ConnectionState => useSyncExternalStore(onConnectionChange, connectionState);
