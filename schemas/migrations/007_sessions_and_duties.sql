-- Sessions bound to the browser that logged in, with an absolute lifetime; and the history of who
-- managed an appraisal when a person's manager changed while their cycle was open.

-- The SHA-256 of the User-Agent a session was issued to: a token replayed from another browser is refused.
ALTER TABLE sessions ADD COLUMN user_agent_sha256 TEXT;
-- Why a session ended (logout, idle, lifetime, disabled, left, password_reset, user_agent …).
ALTER TABLE sessions ADD COLUMN end_reason TEXT;
