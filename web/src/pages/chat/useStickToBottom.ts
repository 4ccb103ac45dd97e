import { useCallback, useLayoutEffect, useRef, useState, type RefObject } from 'react';

/** How close to the end (px) still counts as reading the newest messages. */
const NEAR_BOTTOM_PX = 48;

interface Seen {
  first?: string;
  last?: string;
  ids: Set<string>;
  height: number;
}

/**
 * Keeps a message list at its newest message as people chat: it opens there, follows new messages
 * while the reader is at the end (and always for the reader's own), and otherwise counts them for
 * a "new messages" pill instead of pulling the reader away from what they scrolled up to. Older
 * messages loaded above leave what the reader sees where it was.
 */
export function useStickToBottom(list: RefObject<HTMLElement | null>, messages: readonly { id: string }[], isOwn: (id: string) => boolean) {
  const [atBottom, setAtBottom] = useState(true);
  const [unseen, setUnseen] = useState(0);
  const following = useRef(true);
  const seen = useRef<Seen | null>(null);

  const scrollToBottom = useCallback(() => {
    const element = list.current;
    if (!element) return;
    element.scrollTop = element.scrollHeight;
    following.current = true;
    setAtBottom(true);
    setUnseen(0);
  }, [list]);

  const onScroll = useCallback(() => {
    const element = list.current;
    if (!element) return;
    const near = element.scrollHeight - element.scrollTop - element.clientHeight <= NEAR_BOTTOM_PX;
    following.current = near;
    setAtBottom(near);
    if (near) setUnseen(0);
  }, [list]);

  useLayoutEffect(() => {
    const element = list.current;
    if (!element || messages.length === 0) return;
    const before = seen.current;
    const first = messages[0].id;
    const last = messages[messages.length - 1].id;
    if (!before) {
      element.scrollTop = element.scrollHeight;
    } else if (last !== before.last) {
      const added = messages.filter((message) => !before.ids.has(message.id));
      if (following.current || isOwn(last)) scrollToBottom();
      else setUnseen((count) => count + added.filter((message) => !isOwn(message.id)).length);
    } else if (first !== before.first) {
      element.scrollTop += element.scrollHeight - before.height;
    }
    seen.current = { first, last, ids: new Set(messages.map((message) => message.id)), height: element.scrollHeight };
  }, [list, messages, isOwn, scrollToBottom]);

  // The list's box changes (the window, the phone's keyboard): a reader at the end stays there.
  useLayoutEffect(() => {
    const element = list.current;
    if (!element || typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(() => {
      if (following.current) element.scrollTop = element.scrollHeight;
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, [list]);

  return { atBottom, unseen, onScroll, scrollToBottom };
}
