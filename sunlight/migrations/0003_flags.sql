-- Flag store: who last changed a flag's state and why, anchors of the history chain's head,
-- and an index for looking up one flag's history (idempotency keys of actions live there).

ALTER TABLE flags ADD COLUMN state_changed_at TIMESTAMP;   -- when the state last changed
ALTER TABLE flags ADD COLUMN state_changed_by VARCHAR;     -- a user name, or system:audit
ALTER TABLE flags ADD COLUMN state_reason VARCHAR;         -- why (摘牌 / 驳回 reason, clearing note)

CREATE INDEX flag_history_flag ON flag_history (flag_id);
CREATE INDEX supervision_orders_flag ON supervision_orders (flag_id);

-- The chain's head as it stood after each audit run. A verifier compares the chain with these:
-- deleting the newest entries leaves a chain that is intact but shorter than an anchor says.
CREATE TABLE history_anchors (
    anchored_at  TIMESTAMP NOT NULL,
    run_id       BIGINT,
    entry_no     BIGINT  NOT NULL,           -- 0 when the chain was empty
    hash         VARCHAR NOT NULL
);

-- Department scores of record (audit/scoring.py), one row per department and month, replaced by
-- each nightly run of that month.
CREATE TABLE dept_scores (
    month           DATE    NOT NULL,        -- first day of the month
    dept_code       VARCHAR NOT NULL,
    run_id          BIGINT,
    computed_at     TIMESTAMP NOT NULL,
    score           DOUBLE  NOT NULL,
    grade           VARCHAR NOT NULL,        -- 优秀 / 良好 / 合格 / 不合格 (per the scoring file)
    red             INTEGER NOT NULL,
    yellow          INTEGER NOT NULL,
    flag_deduction  DOUBLE  NOT NULL,
    rates           JSON    NOT NULL,        -- per metric: numerator, denominator, value, deduction
    explanation     VARCHAR NOT NULL,        -- the itemised deductions in Chinese
    config_digest   VARCHAR NOT NULL,
    PRIMARY KEY (month, dept_code)
);
