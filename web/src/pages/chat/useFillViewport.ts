import { useLayoutEffect, type RefObject } from 'react';

const MIN_HEIGHT = 280;

/**
 * Sizes the element to end at the bottom of the window, whatever sits above it (a header that
 * wraps on a phone), so that a room's newest messages and its message box are on screen and only
 * its message list scrolls.
 */
export function useFillViewport(ref: RefObject<HTMLElement | null>, bottomGap: number): void {
  useLayoutEffect(() => {
    const fit = () => {
      const element = ref.current;
      if (!element) return;
      const top = element.getBoundingClientRect().top + window.scrollY;
      element.style.height = `${Math.max(MIN_HEIGHT, window.innerHeight - top - bottomGap)}px`;
    };
    fit();
    window.addEventListener('resize', fit);
    const header = document.querySelector('header');
    const observer = typeof ResizeObserver === 'undefined' ? null : new ResizeObserver(fit);
    if (header) observer?.observe(header);
    return () => {
      window.removeEventListener('resize', fit);
      observer?.disconnect();
    };
  }, [ref, bottomGap]);
}
