import { useState } from 'react';

/** A person's picture, or their initial when they have none or it does not load. */
export function Avatar({ user, size = 32 }: { user: { nickname: string; avatarUrl?: string | null }; size?: number }) {
  const [broken, setBroken] = useState(false);
  const style = { width: size, height: size };
  if (user.avatarUrl && !broken) {
    return <img className="avatar" src={user.avatarUrl} alt="" style={style} onError={() => setBroken(true)} />;
  }
  return (
    <span className="avatar initial" style={{ ...style, fontSize: size * 0.45 }} aria-hidden="true">
      {[...user.nickname.trim()][0]?.toUpperCase() ?? '?'}
    </span>
  );
}
