-- rule: G_DISCLOSURE_LATE (disclosure)
-- params: {"as_of": null, "p0": "DECIDE", "p1": "PENALTY_DECISION", "p2": "red", "p3": "G_DISCLOSURE_LATE", "p4": 1, "p5": "TEST", "p6": "公示", "p7": "样例"}
WITH subject AS (
  SELECT
    c.case_id AS case_id,
    c.item_code AS item_code,
    c.dept_code AS dept_code,
    c.source_system AS source_system,
    c.decision_no AS case_decision_no,
    c.fine_amount AS case_fine_amount,
    i.disclosure_limit AS limit_n
  FROM cases AS c
  JOIN items AS i
    ON i.item_code = c.item_code
  WHERE
    NOT i.disclosure_limit IS NULL
), dev AS (
  SELECT
    e.event_id,
    e.case_id,
    e.seq,
    e.activity,
    e.ts,
    e.document_no
  FROM events AS e
  WHERE
    (
      e.ts <= CAST($as_of AS TIMESTAMP)
      AND e.activity IN (CAST($p0 AS TEXT), CAST($p1 AS TEXT))
    )
    AND e.case_id IN (
      SELECT
        case_id
      FROM subject
    )
), first_decision AS (
  SELECT
    e.case_id,
    MIN(e.seq) AS seq,
    ARG_MIN(e.ts, e.seq) AS ts,
    ARG_MIN(e.event_id, e.seq) AS event_id,
    ARG_MIN(e.activity, e.seq) AS activity,
    ARG_MIN(e.document_no, e.seq) AS document_no
  FROM dev AS e
  GROUP BY
    e.case_id
), numbered AS (
  SELECT
    s.case_id,
    s.item_code,
    s.dept_code,
    s.source_system,
    s.case_fine_amount,
    s.limit_n,
    COALESCE(s.case_decision_no, fd.document_no) AS case_decision_no
  FROM subject AS s
  LEFT JOIN first_decision AS fd
    ON fd.case_id = s.case_id
), published AS (
  SELECT
    s.case_id,
    s.item_code,
    s.dept_code,
    s.source_system,
    s.case_decision_no,
    s.case_fine_amount,
    d.disclosure_id,
    d.decision_no,
    d.published_at,
    d.withdrawn_at,
    d.url,
    d.fine_amount,
    d.content
  FROM numbered AS s
  JOIN disclosures AS d
    ON d.case_id = s.case_id
  WHERE
    d.published_at <= CAST($as_of AS TIMESTAMP)
  UNION ALL
  SELECT
    s.case_id,
    s.item_code,
    s.dept_code,
    s.source_system,
    s.case_decision_no,
    s.case_fine_amount,
    d.disclosure_id,
    d.decision_no,
    d.published_at,
    d.withdrawn_at,
    d.url,
    d.fine_amount,
    d.content
  FROM numbered AS s
  JOIN disclosures AS d
    ON d.decision_no = s.case_decision_no
  WHERE
    d.case_id IS NULL AND d.published_at <= CAST($as_of AS TIMESTAMP)
), ranked AS (
  SELECT
    p.case_id,
    p.published_at,
    p.disclosure_id,
    ROW_NUMBER() OVER (PARTITION BY p.case_id ORDER BY p.published_at, p.disclosure_id) AS n
  FROM published AS p
), first_published AS (
  SELECT
    r.case_id,
    r.published_at,
    r.disclosure_id
  FROM ranked AS r
  WHERE
    r.n = 1
), judged AS (
  SELECT
    s.case_id,
    s.item_code,
    s.dept_code,
    s.source_system,
    s.limit_n,
    k.ts AS decided_at,
    k.event_id,
    k.activity,
    f.published_at,
    f.disclosure_id,
    ce.workday_no - cs.workday_no AS used,
    cs.workday_no AS start_no,
    cs.version AS calendar_version
  FROM subject AS s
  JOIN first_decision AS k
    ON k.case_id = s.case_id
  LEFT JOIN first_published AS f
    ON f.case_id = s.case_id
  LEFT JOIN calendar AS cs
    ON cs.day = CAST(k.ts AS DATE)
  LEFT JOIN calendar AS ce
    ON ce.day = CAST(COALESCE(f.published_at, CAST($as_of AS TIMESTAMP)) AS DATE)
  WHERE
    NOT f.published_at IS NULL
)
SELECT
  CAST($p3 AS TEXT) AS rule_id,
  CAST($p4 AS INT) AS rule_version,
  CAST($p5 AS TEXT) AS violation_code,
  CAST(j.case_id AS TEXT) AS case_id,
  CAST(j.item_code AS TEXT) AS item_code,
  CAST(j.dept_code AS TEXT) AS dept_code,
  CAST(j.source_system AS TEXT) AS source_system,
  CAST('' AS TEXT) AS occurrence,
  CAST($p2 AS TEXT) AS level,
  CAST($p6 AS TEXT) AS category,
  CAST($p7 AS TEXT) AS title,
  CAST(CONCAT(
    COALESCE(
      CAST(CONCAT(
        COALESCE(
          CAST(CASE
            WHEN j.activity = 'PENALTY_DECISION'
            THEN '处罚决定'
            WHEN j.activity = 'DECIDE'
            THEN '决定'
            ELSE j.activity
          END AS TEXT),
          ''
        ),
        ' ',
        COALESCE(CAST(STRFTIME(j.decided_at, '%Y-%m-%d %H:%M') AS TEXT), ''),
        '；公示时限 ',
        COALESCE(CAST(j.limit_n AS TEXT), ''),
        ' 个工作日；日历 ',
        COALESCE(CAST(j.calendar_version AS TEXT), ''),
        '；应于 ',
        COALESCE(CAST(COALESCE(STRFTIME(cd.day, '%Y-%m-%d'), '（超出日历范围）') AS TEXT), ''),
        ' 前公示；'
      ) AS TEXT),
      ''
    ),
    COALESCE(
      CAST(CONCAT(
        '首次公示 ',
        COALESCE(CAST(j.disclosure_id AS TEXT), ''),
        ' 于 ',
        COALESCE(CAST(STRFTIME(j.published_at, '%Y-%m-%d %H:%M') AS TEXT), '')
      ) AS TEXT),
      ''
    ),
    '，已过 ',
    COALESCE(CAST(j.used AS TEXT), ''),
    ' 个工作日，超期 ',
    COALESCE(CAST(j.used - j.limit_n AS TEXT), ''),
    ' 个工作日。'
  ) AS TEXT) AS message,
  CAST(JSON_OBJECT(
    'decision', JSON_OBJECT('event_id', j.event_id, 'activity', j.activity, 'ts', j.decided_at),
    'disclosure_id', j.disclosure_id,
    'published_at', j.published_at,
    'as_of', CAST($as_of AS TIMESTAMP),
    'limit', j.limit_n,
    'used', j.used,
    'due', cd.day,
    'calendar', j.calendar_version
  ) AS JSON) AS evidence,
  CAST(CAST(cd.day AS TIMESTAMP) + INTERVAL '86399' SECOND AS TIMESTAMP) AS due_at,
  CAST(CASE
    WHEN (
      j.used - j.limit_n
    ) IS NULL OR 0 IS NULL
    THEN NULL
    ELSE GREATEST(j.used - j.limit_n, 0)
  END AS INT) AS days_overdue,
  CAST(0 AS INT) AS days_left
FROM judged AS j
LEFT JOIN calendar AS cd
  ON cd.workday_no = (
    j.start_no + j.limit_n
  ) AND cd.is_workday
WHERE
  (
    j.used - j.limit_n
  ) > 0
