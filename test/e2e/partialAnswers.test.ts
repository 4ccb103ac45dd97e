import { post, type GraphQLResponse } from '@dorandoran/test-support/graphql';
import { startStack, type Stack } from '@dorandoran/test-support/stack';
import { signUp, signUpAdmin, type SignedIn } from '@dorandoran/test-support/users';

/** Root fields are nullable: a refused field or one whose subgraph is down is null, the rest is answered. */
let stack: Stack;
let alice: SignedIn;
const productIds: string[] = [];
beforeAll(async () => {
  stack = await startStack();
  const admin = await signUpAdmin(stack);
  alice = await signUp(stack, { nickname: 'Alice' });
  for (const name of ['Barley tea', 'Yuja tea']) {
    const created = await gql('mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }', { input: { name, price: 5000, stock: 10 } }, admin);
    productIds.unshift(created.data!.createProduct.id);
  }
});
afterAll(() => stack?.close());

const gql = (query: string, variables: Record<string, unknown> = {}, person?: SignedIn): Promise<GraphQLResponse> =>
  post(stack.routerUrl, query, variables, person?.headers ?? {});

const MIXED = '{ me { id } chatRooms(first: 5) { edges { node { id } } } products(first: 2) { edges { node { id } } } }';
const productsAnswer = () => ({ edges: productIds.map((id) => ({ node: { id } })) });

test('anonymous: me is refused (null, UNAUTHORIZED_FIELD_OR_TYPE) while products is answered', async () => {
  const response = await gql('{ me { id } products(first: 2) { edges { node { id } } } }');
  expect(response.status).toBe(200);
  expect(response.data).toEqual({ me: null, products: productsAnswer() });
  expect(response.errors).toEqual([{ message: expect.any(String), path: ['me'], extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' } }]);
});

// Last: it stops the stack's chat subgraph.
describe('with chat down', () => {
  beforeAll(() => stack.stopService('chat'));

  test('chatRooms is null with one SERVICE_UNAVAILABLE naming chat; me and products are answered (200)', async () => {
    const response = await gql(MIXED, {}, alice);
    expect(response.status).toBe(200);
    expect(response.data).toEqual({ me: { id: alice.id }, chatRooms: null, products: productsAnswer() });
    expect(response.errors).toEqual([
      {
        message: 'The chat service is not reachable; try again shortly.',
        path: ['chatRooms'],
        extensions: expect.objectContaining({ code: 'SERVICE_UNAVAILABLE', subgraph: 'chat' }),
      },
    ]);
  });

  test('a query only chat could answer gets 503, one error per root field at its path', async () => {
    const response = await gql(`{ chatRooms(first: 5) { edges { node { id } } } room: chatRoom(id: "${alice.id}") { id } }`, {}, alice);
    expect(response.status).toBe(503);
    expect(response.data).toEqual({ chatRooms: null, room: null });
    expect(response.errors!.map((error) => [error.path, error.extensions!.code, error.extensions!.subgraph])).toEqual([
      [['chatRooms'], 'SERVICE_UNAVAILABLE', 'chat'],
      [['room'], 'SERVICE_UNAVAILABLE', 'chat'],
    ]);
  });
});
