-- Default data: every tenant starts with these roles.
CREATE TABLE roles (name TEXT PRIMARY KEY, description TEXT NOT NULL);
INSERT INTO roles VALUES ('owner', 'Full access'), ('member', 'Everyday use'), ('viewer', 'Read only');
