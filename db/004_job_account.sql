-- hdc-reportd state, schema version 4: the account a job belongs to
-- (docs/operations.md §Several accounts). Job names stay unique across
-- accounts, so every other table keeps keying by job name; a job recorded
-- under one account and configured under another is refused at start
-- (reconcile/job_accounts.h). Jobs recorded before accounts existed belong
-- to the unnamed [account], "default".
ALTER TABLE jobs ADD COLUMN account TEXT NOT NULL DEFAULT 'default';
