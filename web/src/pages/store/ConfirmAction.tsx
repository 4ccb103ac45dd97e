import { useState, type ReactNode } from 'react';

/**
 * A button for something that cannot be undone (cancelling an order): the first press asks, in
 * words, what will happen; only "Yes" does it.
 */
export function ConfirmAction(props: { label: string; question: ReactNode; confirm: string; keep: string; disabled?: boolean; onConfirm(): void }) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <button type="button" className="danger" disabled={props.disabled} onClick={() => setAsking(true)}>
        {props.label}
      </button>
    );
  }
  return (
    <div className="confirm" role="alertdialog" aria-label={props.label}>
      <p>{props.question}</p>
      <button
        type="button"
        className="danger"
        disabled={props.disabled}
        onClick={() => {
          setAsking(false);
          props.onConfirm();
        }}
      >
        {props.confirm}
      </button>
      <button type="button" onClick={() => setAsking(false)}>
        {props.keep}
      </button>
    </div>
  );
}
