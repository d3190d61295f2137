-- rule: G_DEADLINE_NATURAL (deadline)
-- params: {"as_of": null, "p0": 90, "p1": "FILE_CASE", "p2": "PENALTY_DECISION", "p3": "enforcement", "p4": "red", "p5": "G_DEADLINE_NATURAL", "p6": 1, "p7": "TEST", "p8": "时效", "p9": "样例"}
WITH candidate AS (
  SELECT
    g.case_id
  FROM (
    SELECT
      e.case_id,
      MIN(e.ts) FILTER(WHERE
        e.activity IN (CAST($p1 AS TEXT))) AS first_start,
      MAX(e.seq) FILTER(WHERE
        e.activity IN (CAST($p1 AS TEXT))) AS last_start,
      MAX(e.seq) FILTER(WHERE
        e.activity IN (CAST($p2 AS TEXT))) AS last_stop,
      ARG_MAX(e.ts, e.seq) FILTER(WHERE
        e.activity IN (CAST($p2 AS TEXT))) AS last_stop_ts
    FROM events AS e
    WHERE
      e.ts <= CAST($as_of AS TIMESTAMP)
      AND e.activity IN (CAST($p1 AS TEXT), CAST($p2 AS TEXT))
    GROUP BY
      e.case_id
  ) AS g
  JOIN cases AS c
    ON c.case_id = g.case_id
  JOIN items AS i
    ON i.item_code = c.item_code
  LEFT JOIN calendar AS cs
    ON cs.day = CAST(g.first_start AS DATE)
  LEFT JOIN calendar AS ce
    ON ce.day = CAST(CASE
      WHEN COALESCE(g.last_stop > g.last_start, FALSE)
      THEN g.last_stop_ts
      ELSE CAST($as_of AS TIMESTAMP)
    END AS DATE)
  WHERE
    NOT g.first_start IS NULL
    AND (
      DATE_DIFF(
        'DAY',
        CAST(g.first_start AS DATE),
        CAST(CASE
          WHEN COALESCE(g.last_stop > g.last_start, FALSE)
          THEN g.last_stop_ts
          ELSE CAST($as_of AS TIMESTAMP)
        END AS DATE)
      ) > CAST($p0 AS INT)
    )
    AND NOT g.last_stop IS NULL
), ev AS (
  SELECT
    e.event_id,
    e.case_id,
    e.seq,
    e.activity,
    e.ts
  FROM events AS e
  WHERE
    (
      e.ts <= CAST($as_of AS TIMESTAMP)
      AND e.activity IN (CAST($p1 AS TEXT), CAST($p2 AS TEXT))
    )
    AND e.case_id IN (
      SELECT
        case_id
      FROM candidate
    )
), subject AS (
  SELECT
    c.case_id AS case_id,
    c.item_code AS item_code,
    c.dept_code AS dept_code,
    c.source_system AS source_system,
    CAST($p0 AS INT) AS limit_n,
    'day' AS unit
  FROM cases AS c
  JOIN items AS i
    ON i.item_code = c.item_code
  WHERE
    c.case_kind = CAST($p3 AS TEXT)
    AND NOT CAST($p0 AS INT) IS NULL
    AND 'day' IN ('workday', 'day', 'month')
    AND c.case_id IN (
      SELECT
        case_id
      FROM candidate
    )
), marks AS (
  SELECT
    ev.case_id,
    MIN(ev.seq) FILTER(WHERE
      ev.activity = CAST($p1 AS TEXT)) AS s_seq,
    ARG_MIN(ev.ts, ev.seq) FILTER(WHERE
      ev.activity = CAST($p1 AS TEXT)) AS s_ts,
    ARG_MIN(ev.event_id, ev.seq) FILTER(WHERE
      ev.activity = CAST($p1 AS TEXT)) AS s_id,
    'FILE_CASE' AS s_act
  FROM ev
  GROUP BY
    ev.case_id
), clock AS (
  SELECT
    s.case_id,
    s.item_code,
    s.dept_code,
    s.source_system,
    s.limit_n,
    s.unit,
    m.s_seq AS start_seq,
    m.s_ts AS start_ts,
    m.s_id AS start_id,
    m.s_act AS start_act,
    FALSE AS fallback_used
  FROM subject AS s
  JOIN marks AS m
    ON m.case_id = s.case_id
), stops AS (
  SELECT
    k.case_id,
    MIN(e.seq) AS stop_seq,
    ARG_MIN(e.ts, e.seq) AS stop_ts,
    ARG_MIN(e.event_id, e.seq) AS stop_id,
    ARG_MIN(e.activity, e.seq) AS stop_act
  FROM clock AS k
  JOIN ev AS e
    ON e.case_id = k.case_id
    AND e.seq > k.start_seq
    AND e.activity IN (CAST($p2 AS TEXT))
  GROUP BY
    k.case_id
), judged AS (
  SELECT
    k.case_id,
    k.item_code,
    k.dept_code,
    k.source_system,
    k.unit,
    k.limit_n,
    k.start_seq,
    k.start_ts,
    k.start_id,
    k.start_act,
    k.fallback_used,
    st.stop_ts,
    st.stop_id,
    st.stop_act,
    st.stop_seq IS NULL AS is_open,
    COALESCE(st.stop_ts, CAST($as_of AS TIMESTAMP)) AS end_ts,
    NULL AS ext_id,
    NULL AS ext_ts,
    0 AS ext_n,
    0 AS paused_wd,
    0 AS paused_days,
    FALSE AS pause_open,
    NULL AS pause_text,
    NULL AS pause_json,
    cs.workday_no AS start_no,
    ce.workday_no AS end_no,
    cs.version AS calendar_version
  FROM clock AS k
  LEFT JOIN stops AS st
    ON st.case_id = k.case_id
  LEFT JOIN calendar AS cs
    ON cs.day = CAST(k.start_ts AS DATE)
  LEFT JOIN calendar AS ce
    ON ce.day = CAST(COALESCE(st.stop_ts, CAST($as_of AS TIMESTAMP)) AS DATE)
  WHERE
    NOT k.start_seq IS NULL AND NOT st.stop_seq IS NULL
), measured AS (
  SELECT
    *,
    (
      j.limit_n + j.ext_n
    ) AS limit_total,
    j.paused_days AS paused,
    DATE_DIFF('DAY', CAST(j.start_ts AS DATE), CAST(j.end_ts AS DATE)) - j.paused_days AS used,
    (
      j.limit_n + j.ext_n
    ) AS allowed,
    CAST(CAST(j.start_ts AS DATE) + INTERVAL (j.limit_n + j.ext_n + j.paused_days) DAY AS DATE) AS due
  FROM judged AS j
  LEFT JOIN calendar AS cd
    ON cd.workday_no = (
      j.start_no + j.limit_n + j.ext_n + j.paused_wd
    )
    AND cd.is_workday
), leveled AS (
  SELECT
    *,
    (
      m.used - m.allowed
    ) AS over_by,
    CASE
      WHEN m.is_open AND m.pause_open
      THEN NULL
      WHEN m.used > m.allowed
      THEN CAST($p4 AS TEXT)
    END AS level
  FROM measured AS m
)
SELECT
  CAST($p5 AS TEXT) AS rule_id,
  CAST($p6 AS INT) AS rule_version,
  CAST($p7 AS TEXT) AS violation_code,
  CAST(r.case_id AS TEXT) AS case_id,
  CAST(r.item_code AS TEXT) AS item_code,
  CAST(r.dept_code AS TEXT) AS dept_code,
  CAST(r.source_system AS TEXT) AS source_system,
  CAST('' AS TEXT) AS occurrence,
  CAST(r.level AS TEXT) AS level,
  CAST($p8 AS TEXT) AS category,
  CAST($p9 AS TEXT) AS title,
  CAST(CONCAT(
    COALESCE(
      CAST(CASE
        WHEN r.start_act = 'FILE_CASE'
        THEN '立案'
        WHEN r.start_act = 'PENALTY_DECISION'
        THEN '处罚决定'
        ELSE r.start_act
      END AS TEXT),
      ''
    ),
    ' ',
    COALESCE(CAST(STRFTIME(r.start_ts, '%Y-%m-%d %H:%M') AS TEXT), ''),
    ' 起算',
    '；时限 ',
    COALESCE(CAST(r.limit_n AS TEXT), ''),
    '日',
    '（规则规定）；日历 ',
    COALESCE(CAST(r.calendar_version AS TEXT), ''),
    '；应于 ',
    COALESCE(CAST(COALESCE(STRFTIME(r.due, '%Y-%m-%d'), '（超出日历范围）') AS TEXT), ''),
    ' 前完成；截至',
    COALESCE(
      CAST(CASE
        WHEN r.is_open
        THEN CONCAT(
          '审计时点 ',
          COALESCE(CAST(STRFTIME(CAST($as_of AS TIMESTAMP), '%Y-%m-%d %H:%M') AS TEXT), ''),
          '（尚未处罚决定）'
        )
        ELSE CONCAT(
          COALESCE(
            CAST(CASE WHEN r.stop_act = 'PENALTY_DECISION' THEN '处罚决定' ELSE r.stop_act END AS TEXT),
            ''
          ),
          ' ',
          COALESCE(CAST(STRFTIME(r.stop_ts, '%Y-%m-%d %H:%M') AS TEXT), '')
        )
      END AS TEXT),
      ''
    ),
    ' 已用 ',
    COALESCE(CAST(r.used AS TEXT), ''),
    '日',
    COALESCE(
      CAST(CASE
        WHEN r.over_by > 0
        THEN CONCAT('，超期 ', COALESCE(CAST(r.over_by AS TEXT), ''), '日')
        ELSE CONCAT('，剩余 ', COALESCE(CAST(-r.over_by AS TEXT), ''), '日')
      END AS TEXT),
      ''
    ),
    '。'
  ) AS TEXT) AS message,
  CAST(JSON_OBJECT(
    'start', JSON_OBJECT('event_id', r.start_id, 'activity', r.start_act, 'ts', r.start_ts),
    'fallback_used', r.fallback_used,
    'stop', CASE
      WHEN r.is_open
      THEN NULL
      ELSE JSON_OBJECT('event_id', r.stop_id, 'activity', r.stop_act, 'ts', r.stop_ts)
    END,
    'as_of', CAST($as_of AS TIMESTAMP),
    'open', r.is_open,
    'pauses', COALESCE(r.pause_json, CAST('[]' AS JSON)),
    'extension', CASE
      WHEN r.ext_id IS NULL
      THEN NULL
      ELSE JSON_OBJECT('event_id', r.ext_id, 'ts', r.ext_ts, 'amount', r.ext_n)
    END,
    'limit', r.limit_n,
    'limit_total', r.limit_total,
    'unit', r.unit,
    'paused', r.paused,
    'used', r.used,
    'allowed', r.allowed,
    'due', r.due,
    'start_workday_no', r.start_no,
    'end_workday_no', r.end_no,
    'calendar', r.calendar_version
  ) AS JSON) AS evidence,
  CAST(CAST(r.due AS TIMESTAMP) + INTERVAL '86399' SECOND AS TIMESTAMP) AS due_at,
  CAST(CASE WHEN r.over_by IS NULL OR 0 IS NULL THEN NULL ELSE GREATEST(r.over_by, 0) END AS INT) AS days_overdue,
  CAST(CASE WHEN -r.over_by IS NULL OR 0 IS NULL THEN NULL ELSE GREATEST(-r.over_by, 0) END AS INT) AS days_left
FROM leveled AS r
WHERE
  NOT r.level IS NULL
