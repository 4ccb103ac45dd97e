import { useMutation } from '@apollo/client/react';
import { useState, type FormEvent } from 'react';
import { UpdateProfileDocument } from '../__generated__/graphql';
import { ErrorMessage } from '../components/Status';
import { session } from '../session';
import { useSession } from '../useSession';

/** Edits the signed-in user's nickname, avatar URL and bio; an emptied avatar or bio is cleared. */
export function ProfilePage() {
  const user = useSession()!.user;
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
