import type { EntityManager } from '@mikro-orm/postgresql';
import { conflict, forbidden, isUuid, notFound, type EventRecorder } from '@dorandoran/service-kit';
import type { MutationResolvers, UserStatus } from '../__generated__/resolvers-types';
import type { AccessRevocation } from '../context';
import { markDormantUsers } from '../dormancy';
import { User } from '../entities/User.entity';
import { cleanAvatarUrl, cleanBio, cleanLocale, cleanNickname, cleanStatusReason } from '../profileRules';

/** The profile fields schema.graphql marks @viewerIndependent (anyone may read them). */
const PUBLIC_PROFILE_FIELDS = ['nickname', 'avatarUrl', 'bio'] as const;

export const Mutation: MutationResolvers = {
  async updateProfile(_parent, { input }, { em, viewer, users: { events } }) {
    const user = await em.findOne(User, { id: viewer!.userId });
    if (!user) throw notFound('User', viewer!.userId);
    // Validate every field before changing any, so a bad field loses nothing.
    const changes: Partial<User> = {};
    if (input.nickname != null) changes.nickname = cleanNickname(input.nickname);
    if (input.avatarUrl !== undefined) changes.avatarUrl = cleanAvatarUrl(input.avatarUrl);
    if (input.bio !== undefined) changes.bio = cleanBio(input.bio);
    if (input.locale != null) changes.locale = cleanLocale(input.locale);
    // What anyone sees of the profile: the router's entity cache drops its copy on this event.
    const publicFields = PUBLIC_PROFILE_FIELDS.filter((field) => field in changes && changes[field] !== user[field]);
    em.assign(user, changes);
    if (publicFields.length) events.record(em, 'user.profile_changed', user.id, { userId: user.id, fields: publicFields });
    await em.flush();
    return user;
  },

  async setUserStatus(_parent, { userId, status, reason }, { em, viewer, users: { events, access } }) {
    // An administrator suspending themselves would lock out the one who can undo it.
    if (userId === viewer!.userId) throw forbidden('You cannot change your own status; ask another administrator.');
    const statusReason = cleanStatusReason(reason);
    const user = isUuid(userId) ? await em.findOne(User, { id: userId }) : null;
    if (!user) throw notFound('User', userId);
    if (user.status === 'DELETED' && status !== 'DELETED') {
      throw conflict(`User ${userId} is deleted; a deleted account cannot be restored.`);
    }
    const from = user.status;
    if (status === 'DELETED') erase(user);
    else user.status = status;
    user.statusReason = statusReason;
    // The events commit with the change: auth ends the sessions, chat and store tidy up.
    if (from !== status) recordStatusChange(events, em, user.id, from, status);
    await em.flush();
    await applyAccessAtOnce(access, user.id, status);
    return user;
  },

  async deleteAccount(_parent, _args, { em, viewer, users: { events, access } }) {
    const user = await em.findOne(User, { id: viewer!.userId });
    if (!user) throw notFound('User', viewer!.userId);
    const from = user.status;
    erase(user);
    if (from !== 'DELETED') recordStatusChange(events, em, user.id, from, 'DELETED');
    await em.flush();
    await applyAccessAtOnce(access, user.id, 'DELETED');
    return true;
  },

  async createProfile(_parent, { input }, { em, users: { events } }) {
    const existing = await em.findOne(User, { id: input.id });
    if (existing) return existing; // auth retried: the profile is already there
    const user = new User(input.id, cleanNickname(input.nickname), input.email, cleanLocale(input.locale ?? 'ko-KR'));
    em.persist(user);
    events.record(em, 'user.registered', user.id, { userId: user.id });
    await em.flush();
    return user;
  },

  markDormantUsers: (_parent, { inactiveDays }, { em }) => markDormantUsers(em, inactiveDays),
};

async function applyAccessAtOnce({ revocations, ttlSeconds }: AccessRevocation, userId: string, status: UserStatus) {
  if (status === 'ACTIVE') await revocations.restoreUser(userId);
  else await revocations.revokeUser(userId, ttlSeconds);
}

function recordStatusChange(events: EventRecorder, em: EntityManager, userId: string, from: UserStatus, to: UserStatus) {
  events.record(em, 'user.status_changed', userId, { userId, from, to });
  if (to === 'DELETED') events.record(em, 'user.deleted', userId, { userId });
}

/** A deleted profile keeps its id (messages and orders still point at it) and nothing personal. */
function erase(user: User) {
  user.status = 'DELETED';
  user.nickname = 'Deleted user';
  user.avatarUrl = null;
  user.bio = null;
  user.email = null;
}
