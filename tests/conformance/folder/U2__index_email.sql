DROP INDEX users_email;
