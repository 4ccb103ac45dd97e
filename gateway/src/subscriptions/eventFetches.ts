import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';

/** One `rest` fetch of one event, as a subscriber's plan would send it. */
export interface EventFetch {
  subgraph: string;
  query: string;
  variables: Record<string, unknown> | undefined;
  /**
   * Every field it asks for is declared viewer-independent: it is sent once, without a token, for
   * all subscribers. Otherwise it is shared only by subscribers presenting `authorization`.
   */
  viewerIndependent: boolean;
  authorization: string;
}

/**
 * The `rest` fetches of subscription events, made once per event for all subscribers who would
 * send the same one. An answer lives as long as its event (the next event fetches again, so a
 * nickname changed meanwhile is seen); a viewer-independent fetch is also joined, while under way,
 * by the same fetch for another topic's copy of the event (the same message seen by other viewers).
 * Each subscriber gets its own copy of the data: the plan's execution merges into it.
 */
export class EventFetches {
  private readonly byEvent = new WeakMap<object, Map<string, Promise<GatewayGraphQLResponse>>>();
  private readonly underWay = new Map<string, Promise<GatewayGraphQLResponse>>();
  private sent = 0;
  private asked = 0;

  /** Fetches sent to subgraphs, and fetches the plans asked for (their difference was shared). */
  get counts(): { sent: number; asked: number } {
    return { sent: this.sent, asked: this.asked };
  }

  async fetch(event: object, fetch: EventFetch, send: () => Promise<GatewayGraphQLResponse>): Promise<GatewayGraphQLResponse> {
    this.asked++;
    const shared = JSON.stringify([fetch.subgraph, fetch.viewerIndependent ? null : fetch.authorization, fetch.query, fetch.variables ?? null]);
    let answers = this.byEvent.get(event);
    if (!answers) this.byEvent.set(event, (answers = new Map()));
    let answer = answers.get(shared) ?? (fetch.viewerIndependent ? this.underWay.get(shared) : undefined);
    if (!answer) {
      this.sent++;
      answer = send();
      if (fetch.viewerIndependent) {
        const sending = answer;
        this.underWay.set(shared, sending);
        const done = () => {
          if (this.underWay.get(shared) === sending) this.underWay.delete(shared);
        };
        sending.then(done, done);
      }
    }
    answers.set(shared, answer);
    const response = await answer;
    return { ...response, data: response.data ? structuredClone(response.data) : response.data, errors: response.errors ? [...response.errors] : response.errors };
  }
}
