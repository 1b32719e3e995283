-- V5: an audit log filled by a trigger, and a reporting view.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    entity      TEXT NOT NULL,
    entity_id   INTEGER NOT NULL,
    action      TEXT NOT NULL,
    detail      TEXT
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id);
CREATE TRIGGER tasks_status_audit AFTER UPDATE OF status ON tasks
BEGIN
    INSERT INTO audit_log (entity, entity_id, action, detail)
    VALUES ('task', NEW.id, 'status', OLD.status || ' -> ' || NEW.status);
END;
CREATE VIEW open_tasks_per_project AS
    SELECT p.id AS project_id, p.name, count(t.id) AS open_tasks
    FROM projects p LEFT JOIN tasks t ON t.project_id = p.id AND t.status <> 'done'
    GROUP BY p.id, p.name;
