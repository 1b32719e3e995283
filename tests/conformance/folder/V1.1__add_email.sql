-- add an email column
ALTER TABLE users ADD COLUMN email text;
