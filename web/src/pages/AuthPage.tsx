import { useMutation } from '@apollo/client/react';
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { LogInDocument, SignUpDocument } from '../__generated__/graphql';
import { ErrorMessage } from '../components/Status';
import { session } from '../session';

/** Sign up or log in; on success the session is kept and the app opens. */
export function AuthPage({ mode }: { mode: 'signUp' | 'logIn' }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [nickname, setNickname] = useState('');
  const [signUp, signingUp] = useMutation(SignUpDocument);
  const [logIn, loggingIn] = useMutation(LogInDocument);
  const pending = signingUp.loading || loggingIn.loading;
  const error = mode === 'signUp' ? signingUp.error : loggingIn.error;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (mode === 'signUp') {
      const { data } = await signUp({ variables: { input: { email, password, nickname } } }).catch(() => ({ data: undefined }));
      if (data) session.keep(data.signUp);
    } else {
      const { data } = await logIn({ variables: { email, password } }).catch(() => ({ data: undefined }));
      if (data) session.keep(data.logIn);
    }
  };

  return (
    <form className="card auth" onSubmit={submit}>
      <h1>{mode === 'signUp' ? 'Sign up' : 'Log in'}</h1>
      <label>
        Email
        <input type="email" autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)} required />
      </label>
      <label>
        Password
        <input
          type="password"
          autoComplete={mode === 'signUp' ? 'new-password' : 'current-password'}
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          required
        />
      </label>
      {mode === 'signUp' && (
        <label>
          Nickname
          <input value={nickname} onChange={(e) => setNickname(e.target.value)} required />
        </label>
      )}
      <ErrorMessage error={error} />
      <button type="submit" disabled={pending}>
        {mode === 'signUp' ? 'Sign up' : 'Log in'}
      </button>
      {mode === 'signUp' ? (
        <p>
          Have an account? <Link to="/">Log in</Link>
        </p>
      ) : (
        <p>
          New here? <Link to="/signup">Sign up</Link> · <Link to="/reset-password">Forgot your password?</Link>
        </p>
      )}
    </form>
  );
}
