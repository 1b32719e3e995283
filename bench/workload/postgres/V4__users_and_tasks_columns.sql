-- V4: new columns on existing tables, and an index over one of them.
ALTER TABLE users ADD COLUMN last_login_at timestamptz;
ALTER TABLE users ADD COLUMN disabled boolean NOT NULL DEFAULT false;
ALTER TABLE tasks ADD COLUMN priority integer NOT NULL DEFAULT 2;
ALTER TABLE tasks ADD COLUMN estimate_minutes integer;
CREATE INDEX tasks_priority ON tasks (project_id, priority) WHERE status <> 'done';
UPDATE tasks SET priority = 1 WHERE title = 'Invite your team';
