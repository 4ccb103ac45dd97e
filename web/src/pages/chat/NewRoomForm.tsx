import { useApolloClient, useMutation, useQuery } from '@apollo/client/react';
import { useEffect, useId, useState, type FormEvent, type KeyboardEvent } from 'react';
import { useNavigate } from 'react-router';
import { ChatRoomsDocument, CreateChatRoomDocument, UsersByNicknameDocument, type UsersByNicknameQuery } from '../../__generated__/graphql';
import { ErrorMessage } from '../../components/Status';
import { useSession } from '../../useSession';
import { memberFor } from '../roomMembers';
import { Avatar } from './Avatar';

type Person = NonNullable<UsersByNicknameQuery['usersByNickname']>[number];

/** usersByNickname takes 1 to 30 characters. */
const MAX_NICKNAME = 30;
const SUGGESTIONS = 8;
/** Others in a group besides the creator (a room holds 100). */
const MAX_OTHERS = 99;
const TYPING_PAUSE_MS = 200;
const BIO_SNIPPET = 60;

const snippet = (bio: string | null | undefined) => {
  const text = bio?.trim().replace(/\s+/g, ' ') ?? '';
  return [...text].length > BIO_SNIPPET ? `${[...text].slice(0, BIO_SNIPPET).join('').trimEnd()}…` : text;
};

/** What was typed, once the typing pauses: one search per pause, not per key. */
function useSettled(value: string): string {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), TYPING_PAUSE_MS);
    return () => clearTimeout(timer);
  }, [value]);
  return settled;
}

/**
 * Starts a room with people chosen by person, not by nickname: typing suggests who matches (their
 * avatar, nickname and the start of their bio), so two people called the same are both reachable.
 * One person opens a direct room, several a group with a title. A whole nickname typed and not
 * picked still works when exactly one person has it.
 */
export function NewRoomForm() {
  const client = useApolloClient();
  const navigate = useNavigate();
  const me = useSession()!.user.id;
  const listId = useId();
  const [typed, setTyped] = useState('');
  const [picked, setPicked] = useState<Person[]>([]);
  const [title, setTitle] = useState('');
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const [problem, setProblem] = useState<unknown>(null);
  const [create, creating] = useMutation(CreateChatRoomDocument);

  const term = useSettled(typed.trim());
  // A cleared box (a person picked) stops suggesting at once, not after the pause.
  const searching = typed.trim().length > 0 && term.length > 0 && term.length <= MAX_NICKNAME;
  const found = useQuery(UsersByNicknameDocument, { variables: { nickname: term, first: SUGGESTIONS }, skip: !searching, fetchPolicy: 'network-only' });
  const suggestions = searching
    ? (found.data?.usersByNickname ?? []).filter((user) => user.id !== me && !picked.some((person) => person.id === user.id))
    : [];
  const listed = open && suggestions.length > 0;
  const group = picked.length + (typed.trim() ? 1 : 0) > 1;

  const pick = (person: Person) => {
    setProblem(null);
    if (picked.length >= MAX_OTHERS) {
      setProblem(new Error(`A room holds at most ${MAX_OTHERS + 1} people, you included.`));
      return;
    }
    setPicked((chosen) => [...chosen, person]);
    setTyped('');
    setActive(0);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'Escape') setOpen(false);
    if (!listed) return;
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      const step = event.key === 'ArrowDown' ? 1 : -1;
      setActive((index) => (index + step + suggestions.length) % suggestions.length);
    } else if (event.key === 'Enter') {
      event.preventDefault();
      pick(suggestions[Math.min(active, suggestions.length - 1)]);
    }
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setProblem(null);
    try {
      const memberIds = picked.map((person) => person.id);
      const nickname = typed.trim();
      if (nickname) {
        const { data } = await client.query({ query: UsersByNicknameDocument, variables: { nickname, first: SUGGESTIONS }, fetchPolicy: 'network-only' });
        memberIds.push(memberFor(nickname, (data?.usersByNickname ?? []).filter((user) => user.id !== me)).id);
      }
      const isGroup = memberIds.length > 1;
      const { data } = await create({ variables: { input: { kind: isGroup ? 'GROUP' : 'DIRECT', memberIds, title: isGroup ? title.trim() || null : null } } });
      if (data) {
        setTyped('');
        setPicked([]);
        setTitle('');
        await client.refetchQueries({ include: [ChatRoomsDocument] });
        navigate(`/chat/${data.createChatRoom.id}`);
      }
    } catch (error) {
      setProblem(error);
    }
  };

  return (
    <form className="new-room" onSubmit={submit}>
      {picked.length > 0 && (
        <ul className="picked" aria-label="Chosen people">
          {picked.map((person) => (
            <li key={person.id}>
              <Avatar user={person} size={20} />
              {person.nickname}
              <button type="button" aria-label={`Remove ${person.nickname}`} onClick={() => setPicked((chosen) => chosen.filter((p) => p.id !== person.id))}>
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      <div className="people-picker">
        <label>
          People
          <input
            role="combobox"
            aria-expanded={listed}
            aria-controls={listId}
            aria-autocomplete="list"
            aria-activedescendant={listed ? `${listId}-${Math.min(active, suggestions.length - 1)}` : undefined}
            value={typed}
            maxLength={MAX_NICKNAME}
            onChange={(event) => {
              setTyped(event.target.value);
              setOpen(true);
              setActive(0);
            }}
            onFocus={() => setOpen(true)}
            onBlur={() => setOpen(false)}
            onKeyDown={onKeyDown}
            placeholder="Type a nickname"
            autoComplete="off"
          />
        </label>
        {listed && (
          <ul className="suggestions" role="listbox" id={listId} aria-label="Suggestions">
            {suggestions.map((person, index) => (
              <li
                key={person.id}
                id={`${listId}-${index}`}
                role="option"
                aria-selected={index === active}
                // Before the input's blur closes the list.
                onMouseDown={(event) => {
                  event.preventDefault();
                  pick(person);
                }}
              >
                <Avatar user={person} size={32} />
                <span className="who">
                  <span className="nickname">{person.nickname}</span>
                  <span className="bio">{snippet(person.bio) || 'No bio yet'}</span>
                </span>
              </li>
            ))}
          </ul>
        )}
        {/* In the form's flow, not floating like the list, so it never covers Start chat; and kept when the box
            loses focus, since pressing Start chat blurs the box and the button must not move under the pointer. */}
        {searching && found.data && suggestions.length === 0 && (
          <p className="hint no-match" role="status">
            Nobody else's nickname starts with "{term}".
          </p>
        )}
      </div>
      {group && (
        <label>
          Group title
          <input value={title} onChange={(event) => setTitle(event.target.value)} maxLength={100} />
        </label>
      )}
      <button type="submit" disabled={(picked.length === 0 && !typed.trim()) || creating.loading}>
        Start chat
      </button>
      <ErrorMessage error={problem} />
    </form>
  );
}
