-- Sessions bound to the browser that logged in, with an absolute lifetime; and the history of who
-- managed an appraisal when a person's manager changed while their cycle was open.

-- The SHA-256 of the User-Agent a session was issued to: a token replayed from another browser is refused.
ALTER TABLE sessions ADD COLUMN user_agent_sha256 TEXT;
-- Why a session ended (logout, idle, lifetime, disabled, left, password_reset, user_agent …).
ALTER TABLE sessions ADD COLUMN end_reason TEXT;

-- The 工号 of whoever filed a KPI change request: when the department's head asks, step 1 goes to the
-- head's own manager (nobody approves their own request).
ALTER TABLE kpi_changes ADD COLUMN requester_id TEXT;
UPDATE kpi_changes SET requester_id = (SELECT u.employee_id FROM users u WHERE u.username = kpi_changes.requested_by);
