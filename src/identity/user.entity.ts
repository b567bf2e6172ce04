import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity('users')
export class UserEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 254 })
  email: string;

  @Column({ name: 'display_name', type: 'varchar', length: 50 })
  displayName: string;

  /** Unique without letter case (users_username_key); null only for a deleted account. See usernames.ts. */
  @Column({ type: 'varchar', length: 20, nullable: true })
  username: string | null;

  /** When the member last changed their username (at most once per 30 days); null: never. */
  @Column({ name: 'username_changed_at', type: 'timestamptz', nullable: true })
  usernameChangedAt: Date | null;

  /** Plain text, at most 500 characters. */
  @Column({ type: 'varchar', length: 500, default: '' })
  bio: string;

  /** The avatar's file under UPLOAD_DIR (served publicly by the uploads route while it is someone's avatar). */
  @Column({ name: 'avatar_file', type: 'varchar', length: 64, nullable: true })
  avatarFile: string | null;

  @Column({ name: 'avatar_url', type: 'varchar', length: 2000, nullable: true })
  avatarUrl: string | null;

  @Column({ name: 'password_hash', type: 'varchar', length: 200, nullable: true, select: false })
  passwordHash: string | null;

  @Column({ name: 'is_platform_admin', type: 'boolean', default: false })
  isPlatformAdmin: boolean;

  /** Null until the member follows the emailed link (accounts from store single sign-on start verified). */
  @Column({ name: 'email_verified_at', type: 'timestamptz', nullable: true })
  emailVerifiedAt: Date | null;

  /** Set when the account was deleted (anonymised); such an account can no longer sign in. */
  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}

export const IDENTITY_ENTITIES = [UserEntity];
