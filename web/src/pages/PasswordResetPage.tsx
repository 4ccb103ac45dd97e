import { useMutation } from '@apollo/client/react';
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { LogInDocument, RequestPasswordResetDocument, ResetPasswordDocument } from '../__generated__/graphql';
import { ErrorMessage } from '../components/Status';
import { session } from '../session';

/**
 * A forgotten password: the graph mails a 6-digit code to the email, and the code with a new
 * password sets it; then the app signs in with the new password.
 */
export function PasswordResetPage() {
  const [email, setEmail] = useState('');
  const [codeSent, setCodeSent] = useState(false);
  const [code, setCode] = useState('');
  const [newPassword, setNewPassword] = useState('');
  const [requestReset, requesting] = useMutation(RequestPasswordResetDocument);
  const [resetPassword, resetting] = useMutation(ResetPasswordDocument);
  const [logIn, loggingIn] = useMutation(LogInDocument);

  const sendCode = async (event: FormEvent) => {
    event.preventDefault();
    const { data } = await requestReset({ variables: { email } }).catch(() => ({ data: undefined }));
    if (data) setCodeSent(true);
  };

  const setPassword = async (event: FormEvent) => {
    event.preventDefault();
    const { data } = await resetPassword({ variables: { email, code: code.trim(), newPassword } }).catch(() => ({ data: undefined }));
    if (!data?.resetPassword) return;
    const signedIn = await logIn({ variables: { email, password: newPassword } }).catch(() => ({ data: undefined }));
    if (signedIn.data) session.keep(signedIn.data.logIn);
  };

  return (
    <div className="card auth">
      <h1>Reset password</h1>
      <form onSubmit={sendCode}>
        <label>
          Email
          <input type="email" autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)} readOnly={codeSent} required />
        </label>
        <ErrorMessage error={requesting.error} />
        {!codeSent && (
          <button type="submit" disabled={requesting.loading}>
            Send a code
          </button>
        )}
      </form>
      {codeSent && (
        <form onSubmit={setPassword}>
          <p role="status">If an account has this email, a 6-digit code is on its way; it works for 10 minutes.</p>
          <label>
            Code
            <input inputMode="numeric" autoComplete="one-time-code" value={code} onChange={(e) => setCode(e.target.value)} required />
          </label>
          <label>
            New password
            <input type="password" autoComplete="new-password" value={newPassword} onChange={(e) => setNewPassword(e.target.value)} required />
          </label>
          <ErrorMessage error={resetting.error ?? loggingIn.error} />
          <button type="submit" disabled={resetting.loading || loggingIn.loading}>
            Set the new password
          </button>
          <button type="button" disabled={requesting.loading} onClick={() => void requestReset({ variables: { email } }).catch(() => undefined)}>
            Send a new code
          </button>
        </form>
      )}
      <p>
        Remembered it? <Link to="/">Log in</Link>
      </p>
    </div>
  );
}
