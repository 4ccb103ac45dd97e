import { useId, useLayoutEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { ErrorMessage } from '../../components/Status';
import { MAX_MESSAGE_LENGTH, messageLength } from '../chatMessages';

/** From here on the box shows how many characters are left. */
const COUNTER_FROM = MAX_MESSAGE_LENGTH - 1000;

const count = (value: number) => value.toLocaleString();

/**
 * The message box: Enter sends, Shift+Enter starts a new line (and Enter while an input method is
 * composing, say Korean, finishes the syllable rather than sending). Near the limit a counter says
 * how many characters there are of how many; over it, Send waits until the text is shortened.
 */
export function Composer({ onSend, error }: { onSend: (text: string) => void; error: unknown }) {
  const [text, setText] = useState('');
  const counterId = useId();
  const box = useRef<HTMLTextAreaElement>(null);
  // The box grows with what is typed (up to its CSS max-height, then scrolls).
  useLayoutEffect(() => {
    const element = box.current;
    if (!element) return;
    element.style.height = 'auto';
    element.style.height = `${element.scrollHeight + element.offsetHeight - element.clientHeight}px`;
  }, [text]);
  const length = messageLength(text);
  const over = length - MAX_MESSAGE_LENGTH;
  const canSend = length > 0 && over <= 0;

  const send = () => {
    if (!canSend) return;
    onSend(text.trim());
    setText('');
  };
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    send();
  };
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key !== 'Enter' || event.shiftKey || event.nativeEvent.isComposing) return;
    event.preventDefault();
    send();
  };

  return (
    <form className="composer" onSubmit={onSubmit}>
      <textarea
        aria-label="Message"
        aria-describedby={length >= COUNTER_FROM ? counterId : undefined}
        ref={box}
        rows={1}
        value={text}
        onChange={(event) => setText(event.target.value)}
        onKeyDown={onKeyDown}
        // Twice the limit: room to paste and shorten, never an unbounded box.
        maxLength={MAX_MESSAGE_LENGTH * 2}
        placeholder="Write a message"
        title="Enter sends; Shift+Enter starts a new line"
      />
      <button type="submit" disabled={!canSend}>
        Send
      </button>
      {length >= COUNTER_FROM && (
        <p id={counterId} className={over > 0 ? 'counter over' : 'counter'} aria-live="polite">
          {over > 0
            ? `${count(length)} / ${count(MAX_MESSAGE_LENGTH)} characters: ${count(over)} over the limit, shorten it to send.`
            : `${count(length)} / ${count(MAX_MESSAGE_LENGTH)} characters`}
        </p>
      )}
      <ErrorMessage error={error} />
    </form>
  );
}
