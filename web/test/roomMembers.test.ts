import { memberFor } from '../src/pages/roomMembers';

const user = (id: string, nickname: string) => ({ __typename: 'User' as const, id, nickname, avatarUrl: null, bio: null });

describe('memberFor (who a nickname typed to start a room means)', () => {
  test('the one exact match wins over longer nicknames with the same start, case aside', () => {
    const found = [user('u1', 'Mina'), user('u2', 'Mina Kim'), user('u3', 'Minato')];
    expect(memberFor('mina', found).id).toBe('u1');
  });

  test('the only match of a prefix is that person', () => {
    expect(memberFor('Jun', [user('u4', 'Jun Park')]).id).toBe('u4');
  });

  test('nobody found says so, naming what was typed', () => {
    expect(() => memberFor('Zed', [])).toThrow('Nobody is called "Zed".');
  });

  test('several prefix matches and no exact one asks for the whole nickname, listing them', () => {
    expect(() => memberFor('Min', [user('u2', 'Mina Kim'), user('u3', 'Minato')])).toThrow(
      'Several people start with "Min": Mina Kim, Minato. Type the whole nickname.',
    );
  });

  test('two people with exactly that nickname is an error, not a guess at one of them', () => {
    expect(() => memberFor('Mina', [user('u1', 'Mina'), user('u5', 'mina'), user('u2', 'Mina Kim')])).toThrow(
      '2 people are called "Mina"; pick the one you mean from the suggestions.',
    );
  });
});
