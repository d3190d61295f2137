-- Canonical model: reference data, cases, events, disclosures, calendar, ingest bookkeeping.
-- Times are local wall-clock TIMESTAMPs in the authority's time zone (see settings.timezone);
-- files that store UTC or offsets are converted at ingest, before any date is taken.

CREATE TABLE departments (
    dept_code     VARCHAR PRIMARY KEY,
    name          VARCHAR NOT NULL,
    unit_kind     VARCHAR NOT NULL,          -- 区直部门 / 街道 / 乡镇 / 中心
    source_file   VARCHAR NOT NULL,
    source_row    BIGINT  NOT NULL,
    load_id       BIGINT  NOT NULL
);

CREATE TABLE items (
    item_code          VARCHAR PRIMARY KEY,
    name               VARCHAR NOT NULL,
    kind               VARCHAR NOT NULL,     -- 行政许可 / 非行政许可 / 公共服务 / 行政处罚 / 行政检查
    dept_code          VARCHAR NOT NULL,
    legal_limit        INTEGER,              -- NULL when the law sets none
    promised_limit     INTEGER,
    limit_unit         VARCHAR,              -- workday / day / month
    fee_standard       DECIMAL(14, 2) NOT NULL,   -- 0 = free of charge
    fee_basis          VARCHAR,
    required_materials VARCHAR[] NOT NULL,
    disclosure_limit   INTEGER,              -- working days to publish the result; NULL = not disclosed
    published          BOOLEAN NOT NULL,     -- in the published catalogue (公开目录)
    platforms          VARCHAR[] NOT NULL,   -- source systems that handle it
    source_file        VARCHAR NOT NULL,
    source_row         BIGINT  NOT NULL,
    load_id            BIGINT  NOT NULL
);

CREATE TABLE officers (
    officer_id       VARCHAR PRIMARY KEY,
    name             VARCHAR NOT NULL,
    dept_code        VARCHAR NOT NULL,
    cert_no          VARCHAR,                -- NULL = holds no enforcement certificate
    cert_valid_from  DATE,
    cert_valid_to    DATE,
    source_file      VARCHAR NOT NULL,
    source_row       BIGINT  NOT NULL,
    load_id          BIGINT  NOT NULL
);

CREATE TABLE discretion (
    violation_code  VARCHAR NOT NULL,
    level           VARCHAR NOT NULL,        -- 轻微 / 一般 / 较重 / 严重
    item_code       VARCHAR NOT NULL,
    description     VARCHAR,
    min_fine        DECIMAL(14, 2) NOT NULL,
    max_fine        DECIMAL(14, 2) NOT NULL,
    source_file     VARCHAR NOT NULL,
    source_row      BIGINT  NOT NULL,
    load_id         BIGINT  NOT NULL,
    PRIMARY KEY (violation_code, level)
);

-- cases.case_id and events.event_id are unique, but not declared as keys: the ingest engine checks
-- uniqueness set-based (duplicates are quarantined with a reason), and an ART index would cost more
-- than the whole bulk load of events.
CREATE TABLE cases (
    case_id             VARCHAR NOT NULL,     -- source_system || ':' || source_case_no
    source_system       VARCHAR NOT NULL,
    source_case_no      VARCHAR NOT NULL,
    item_code           VARCHAR NOT NULL,
    dept_code           VARCHAR NOT NULL,
    case_kind           VARCHAR NOT NULL,     -- service / enforcement
    applicant_type      VARCHAR,              -- person / org
    applicant_name      VARCHAR,
    applicant_id_masked VARCHAR,              -- e.g. 2301**********1234; the whole number is never stored
    applicant_id_hash   VARCHAR,              -- sha256 of the whole number, for matching
    submitted_at        TIMESTAMP,
    accepted_at         TIMESTAMP,
    closed_at           TIMESTAMP,
    close_result        VARCHAR,              -- 准予 / 不予 / 不予受理 / 撤回 / 处罚 / 不予处罚
    fee_charged         DECIMAL(14, 2),
    receipt_no          VARCHAR,
    materials           VARCHAR[],            -- materials the applicant handed in
    violation_code      VARCHAR,              -- enforcement only
    discretion_level    VARCHAR,
    fine_amount         DECIMAL(14, 2),
    cause               VARCHAR,
    decision_no         VARCHAR,
    window_no           VARCHAR,
    source_file         VARCHAR NOT NULL,
    source_row          BIGINT  NOT NULL,
    load_id             BIGINT  NOT NULL
);

CREATE TABLE events (
    event_id        VARCHAR NOT NULL,        -- stable digest of the event's identifying content
    case_id         VARCHAR NOT NULL,
    seq             INTEGER NOT NULL,        -- 1.. within the case: time order, ties in source order
    activity        VARCHAR NOT NULL,        -- canonical code (SUBMIT, ACCEPT, ...)
    source_activity VARCHAR NOT NULL,        -- the name the platform used
    ts              TIMESTAMP NOT NULL,      -- local wall-clock time
    actor_id        VARCHAR,
    officer_ids     VARCHAR[],               -- enforcement officers present (two or more)
    dept_code       VARCHAR,
    document_type   VARCHAR,
    document_no     VARCHAR,
    amount          DECIMAL(14, 2),          -- CHARGE: fee; PENALTY_DECISION: fine
    attrs           JSON,
    source_system   VARCHAR NOT NULL,
    source_file     VARCHAR NOT NULL,
    source_row      BIGINT  NOT NULL,
    load_id         BIGINT  NOT NULL
);

CREATE TABLE disclosures (
    disclosure_id   VARCHAR PRIMARY KEY,
    case_id         VARCHAR,                 -- NULL when only the decision number matches
    decision_no     VARCHAR NOT NULL,
    published_at    TIMESTAMP NOT NULL,
    withdrawn_at    TIMESTAMP,
    url             VARCHAR,
    title           VARCHAR,
    party_name      VARCHAR,
    fine_amount     DECIMAL(14, 2),
    cause           VARCHAR,
    content         VARCHAR NOT NULL,        -- the published text, as published
    source_system   VARCHAR NOT NULL,
    source_file     VARCHAR NOT NULL,
    source_row      BIGINT  NOT NULL,
    load_id         BIGINT  NOT NULL
);

CREATE TABLE calendar (
    day         DATE PRIMARY KEY,
    is_workday  BOOLEAN NOT NULL,
    workday_no  INTEGER NOT NULL,            -- running count of working days up to and including day
    holiday     VARCHAR,                     -- holiday name when known
    source      VARCHAR NOT NULL,            -- chinese_calendar x.y / override FILE
    version     VARCHAR NOT NULL
);

-- Ingest bookkeeping -------------------------------------------------------------------------

CREATE SEQUENCE load_seq START 1;

CREATE TABLE loads (
    load_id       BIGINT PRIMARY KEY,
    started_at    TIMESTAMP NOT NULL,
    finished_at   TIMESTAMP,
    status        VARCHAR NOT NULL,          -- committed (a failed load leaves no row: it rolls back)
    timezone      VARCHAR NOT NULL,
    version       VARCHAR NOT NULL
);

CREATE TABLE load_files (
    load_id          BIGINT  NOT NULL,
    file_name        VARCHAR NOT NULL,       -- base name: the identity of an export
    sha256           VARCHAR NOT NULL,
    platform         VARCHAR NOT NULL,
    record           VARCHAR NOT NULL,       -- cases / events / items / ...
    rows_read        BIGINT  NOT NULL,
    rows_loaded      BIGINT  NOT NULL,
    rows_quarantined BIGINT  NOT NULL,
    outcome          VARCHAR NOT NULL,       -- loaded / replaced / unchanged / refused
    message          VARCHAR,
    PRIMARY KEY (load_id, file_name)
);

CREATE TABLE quarantine (
    load_id     BIGINT  NOT NULL,
    file_name   VARCHAR NOT NULL,
    row_number  BIGINT  NOT NULL,            -- 1-based data row (header excluded; XES: event number)
    raw         VARCHAR NOT NULL,            -- the row as read, JSON object of source columns
    reason      VARCHAR NOT NULL,            -- Chinese reason shown to users
    column_name VARCHAR,
    hint        VARCHAR
);

-- Audit ---------------------------------------------------------------------------------------

CREATE SEQUENCE run_seq START 1;

CREATE TABLE runs (
    run_id             BIGINT PRIMARY KEY,
    kind               VARCHAR NOT NULL,     -- audit / nightly / live
    started_at         TIMESTAMP NOT NULL,
    finished_at        TIMESTAMP,
    as_of              TIMESTAMP NOT NULL,
    rule_pack_version  VARCHAR NOT NULL,
    status             VARCHAR NOT NULL,     -- ok / partial / failed
    counts             JSON,
    errors             JSON
);

CREATE TABLE rule_versions (
    rule_id         VARCHAR NOT NULL,
    version         INTEGER NOT NULL,
    effective_from  DATE NOT NULL,
    kind            VARCHAR NOT NULL,
    category        VARCHAR NOT NULL,
    title           VARCHAR NOT NULL,
    body            JSON NOT NULL,
    digest          VARCHAR NOT NULL,
    PRIMARY KEY (rule_id, version)
);

CREATE TABLE flags (
    flag_id        VARCHAR PRIMARY KEY,      -- digest of (rule_id, case_id or item_code, occurrence)
    rule_id        VARCHAR NOT NULL,
    rule_version   INTEGER NOT NULL,
    case_id        VARCHAR,                  -- NULL for catalogue flags, which concern an item
    occurrence     VARCHAR NOT NULL,         -- '' for once-per-subject rules, else an event id or key
    violation_code VARCHAR NOT NULL,         -- the stable code of what was violated (see samples/violations.yaml)
    dept_code      VARCHAR NOT NULL,
    item_code      VARCHAR,
    source_system  VARCHAR,
    category       VARCHAR NOT NULL,         -- 时效 / 流程 / 内容 / 公示
    level          VARCHAR NOT NULL,         -- yellow / red
    state          VARCHAR NOT NULL,         -- open / acknowledged / rectifying / resolved / dismissed
    title          VARCHAR NOT NULL,
    message        VARCHAR NOT NULL,         -- the Chinese evidence sentence
    evidence       JSON NOT NULL,
    due_at         TIMESTAMP,
    days_overdue   INTEGER,
    days_left      INTEGER,
    first_seen_at  TIMESTAMP NOT NULL,
    last_seen_at   TIMESTAMP NOT NULL,
    yellow_at      TIMESTAMP,
    red_at         TIMESTAMP,
    first_run_id   BIGINT NOT NULL,
    last_run_id    BIGINT NOT NULL,
    active         BOOLEAN NOT NULL          -- false once the condition no longer holds
);

CREATE SEQUENCE history_seq START 1;

CREATE TABLE flag_history (
    entry_no    BIGINT PRIMARY KEY,
    flag_id     VARCHAR NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    actor       VARCHAR NOT NULL,            -- a user name, or system:audit / system:live
    action      VARCHAR NOT NULL,            -- raise / escalate / acknowledge / order / answer / accept / return / resolve / dismiss / clear
    from_state  VARCHAR,
    to_state    VARCHAR NOT NULL,
    level       VARCHAR NOT NULL,
    detail      JSON NOT NULL,
    prev_hash   VARCHAR NOT NULL,
    hash        VARCHAR NOT NULL
);

CREATE SEQUENCE order_seq START 1;

CREATE TABLE supervision_orders (
    order_id      BIGINT PRIMARY KEY,
    flag_id       VARCHAR NOT NULL,
    dept_code     VARCHAR NOT NULL,
    issued_by     VARCHAR NOT NULL,
    issued_at     TIMESTAMP NOT NULL,
    feedback_due  DATE NOT NULL,
    instructions  VARCHAR NOT NULL,
    status        VARCHAR NOT NULL,          -- issued / answered / accepted / returned
    answer        VARCHAR,
    answered_by   VARCHAR,
    answered_at   TIMESTAMP,
    reviewed_by   VARCHAR,
    reviewed_at   TIMESTAMP,
    review_note   VARCHAR
);
