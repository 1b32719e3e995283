-- Fails on any tenant that already has two users with the same email.
CREATE UNIQUE INDEX users_email ON users (email);
