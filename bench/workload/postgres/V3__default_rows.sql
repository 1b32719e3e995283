-- V3: default rows every tenant starts with.
CREATE TABLE settings (
    key         text PRIMARY KEY,
    value       text NOT NULL
);
INSERT INTO settings (key, value) VALUES
    ('locale', 'en'), ('timezone', 'UTC'), ('week_start', 'monday'),
    ('date_format', 'YYYY-MM-DD'), ('currency', 'EUR'), ('max_users', '25'),
    ('max_projects', '100'), ('retention_days', '365'), ('theme', 'light'),
    ('notifications', 'on'), ('two_factor', 'optional'), ('api_enabled', 'off');
INSERT INTO labels (name, color) VALUES
    ('bug', '#d73a4a'), ('feature', '#a2eeef'), ('docs', '#0075ca'),
    ('question', '#d876e3'), ('urgent', '#b60205'), ('blocked', '#000000'),
    ('design', '#fbca04'), ('backend', '#5319e7'), ('frontend', '#1d76db'),
    ('ops', '#0e8a16');
INSERT INTO accounts (id, slug, display, plan) VALUES (1, 'default', 'Default account', 'free');
INSERT INTO users (account_id, email, full_name, role) VALUES
    (1, 'owner@example.com', 'Owner', 'owner'),
    (1, 'admin@example.com', 'Admin', 'admin');
INSERT INTO projects (account_id, name) VALUES (1, 'Getting started');
INSERT INTO tasks (project_id, title, status) VALUES
    (1, 'Invite your team', 'open'), (1, 'Create a project', 'open'),
    (1, 'Set your time zone', 'done');
