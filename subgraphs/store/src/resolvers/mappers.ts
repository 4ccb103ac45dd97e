/** A user as store knows one: only the id; users resolves the rest through the router. */
export interface UserRef {
  id: string;
}
