import { useMutation, useQuery } from '@apollo/client/react';
import { useEffect, useState, type FormEvent } from 'react';
import { ChangePasswordDocument, MeDocument, UpdateProfileDocument, type ViewerFragment } from '../__generated__/graphql';
import { ErrorMessage, Loading } from '../components/Status';
import { session } from '../session';

/** The signed-in user's profile and password. */
export function ProfilePage() {
  return (
    <>
      <Profile />
      <PasswordForm />
    </>
  );
}

/**
 * The profile as the server has it now: asked for each time the page opens (never a cached copy,
 * which another device or an older session may have made stale), so Save never writes old values
 * back over newer ones.
 */
function Profile() {
  const { data, error } = useQuery(MeDocument, { fetchPolicy: 'network-only' });
  const me = data?.me;
  useEffect(() => {
    if (me) session.updateUser(me);
  }, [me]);
  if (!me) return error ? <ErrorMessage error={error} /> : <Loading what="your profile" />;
  return <ProfileForm user={me} />;
}

/** Nickname, avatar URL and bio; an emptied avatar or bio is cleared. */
function ProfileForm({ user }: { user: ViewerFragment }) {
  const [nickname, setNickname] = useState(user.nickname);
  const [avatarUrl, setAvatarUrl] = useState(user.avatarUrl ?? '');
  const [bio, setBio] = useState(user.bio ?? '');
  const [saved, setSaved] = useState(false);
  const [update, { loading, error }] = useMutation(UpdateProfileDocument);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSaved(false);
    const { data } = await update({
      variables: { input: { nickname, avatarUrl: avatarUrl.trim() || null, bio: bio.trim() || null } },
    }).catch(() => ({ data: undefined }));
    if (data) {
      session.updateUser({ ...user, ...data.updateProfile });
      setSaved(true);
    }
  };

  return (
    <form className="card profile" onSubmit={submit}>
      <h1>Profile</h1>
      {user.avatarUrl && <img className="avatar" src={user.avatarUrl} alt="" width={64} height={64} />}
      <label>
        Nickname
        <input value={nickname} onChange={(e) => setNickname(e.target.value)} required maxLength={30} />
      </label>
      <label>
        Avatar URL
        <input type="url" value={avatarUrl} onChange={(e) => setAvatarUrl(e.target.value)} placeholder="https://…" />
      </label>
      <label>
        Bio
        <textarea value={bio} onChange={(e) => setBio(e.target.value)} rows={4} maxLength={500} />
      </label>
      <ErrorMessage error={error} />
      {saved && <p role="status">Saved.</p>}
      <button type="submit" disabled={loading}>
        Save
      </button>
    </form>
  );
}

/** A new password; the graph ends the user's other sessions and keeps this one. */
function PasswordForm() {
  const [currentPassword, setCurrentPassword] = useState('');
  const [newPassword, setNewPassword] = useState('');
  const [changed, setChanged] = useState(false);
  const [change, { loading, error }] = useMutation(ChangePasswordDocument);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setChanged(false);
    const { data } = await change({ variables: { currentPassword, newPassword } }).catch(() => ({ data: undefined }));
    if (data?.changePassword) {
      setCurrentPassword('');
      setNewPassword('');
      setChanged(true);
    }
  };

  return (
    <form className="card profile" onSubmit={submit} aria-label="Password">
      <h2>Password</h2>
      <label>
        Current password
        <input type="password" autoComplete="current-password" value={currentPassword} onChange={(e) => setCurrentPassword(e.target.value)} required />
      </label>
      <label>
        New password
        <input type="password" autoComplete="new-password" value={newPassword} onChange={(e) => setNewPassword(e.target.value)} required />
      </label>
      <ErrorMessage error={error} />
      {changed && <p role="status">Password changed; your other sessions have ended.</p>}
      <button type="submit" disabled={loading}>
        Change password
      </button>
    </form>
  );
}
