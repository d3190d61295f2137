-- rule: G_DISCLOSURE_NOT_WITHDRAWN (disclosure)
-- params: {"as_of": null, "p0": 3, "p1": "REVOKE", "p2": "DECIDE", "p3": "PENALTY_DECISION", "p4": "red", "p5": "G_DISCLOSURE_NOT_WITHDRAWN", "p6": 1, "p7": "TEST", "p8": "公示", "p9": "样例"}
WITH candidate AS (
  SELECT
    e.case_id
  FROM events AS e
  WHERE
    e.ts <= CAST($as_of AS TIMESTAMP) AND e.activity = CAST($p1 AS TEXT)
  GROUP BY
    e.case_id
), subject AS (
  SELECT
    c.case_id AS case_id,
    c.item_code AS item_code,
    c.dept_code AS dept_code,
    c.source_system AS source_system,
    c.decision_no AS case_decision_no,
    c.fine_amount AS case_fine_amount,
    CAST($p0 AS INT) AS limit_n
  FROM cases AS c
  JOIN items AS i
    ON i.item_code = c.item_code
  WHERE
    NOT CAST($p0 AS INT) IS NULL
    AND c.case_id IN (
      SELECT
        case_id
      FROM candidate
    )
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
      AND e.activity IN (CAST($p2 AS TEXT), CAST($p3 AS TEXT))
    )
    AND e.case_id IN (
      SELECT
        case_id
      FROM candidate
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
      e.ts <= CAST($as_of AS TIMESTAMP) AND e.activity IN (CAST($p1 AS TEXT))
    )
    AND e.case_id IN (
      SELECT
        case_id
      FROM candidate
    )
), decided AS (
  SELECT
    e.case_id,
    MIN(e.seq) AS seq,
    ARG_MIN(e.ts, e.seq) AS ts,
    ARG_MIN(e.event_id, e.seq) AS event_id,
    ARG_MIN(e.activity, e.seq) AS activity
  FROM ev AS e
  GROUP BY
    e.case_id
), rows AS (
  SELECT
    p.case_id,
    p.item_code,
    p.dept_code,
    p.source_system,
    CONCAT(
      '撤销决定 ',
      COALESCE(CAST(STRFTIME(k.ts, '%Y-%m-%d %H:%M') AS TEXT), ''),
      '后，公示 ',
      COALESCE(CAST(p.disclosure_id AS TEXT), ''),
      COALESCE(
        CAST(CASE
          WHEN NOT p.withdrawn_at IS NULL AND p.withdrawn_at <= CAST($as_of AS TIMESTAMP)
          THEN CONCAT(
            ' 于 ',
            COALESCE(CAST(STRFTIME(p.withdrawn_at, '%Y-%m-%d %H:%M') AS TEXT), ''),
            ' 才撤回'
          )
          ELSE CONCAT(
            ' 截至审计时点 ',
            COALESCE(CAST(STRFTIME(CAST($as_of AS TIMESTAMP), '%Y-%m-%d %H:%M') AS TEXT), ''),
            ' 仍未撤回'
          )
        END AS TEXT),
        ''
      ),
      '，已过 ',
      COALESCE(CAST(ce.workday_no - cs.workday_no AS TEXT), ''),
      ' 个工作日，超过 ',
      COALESCE(CAST(s2.limit_n AS TEXT), ''),
      ' 个工作日'
    ) AS clause,
    JSON_OBJECT(
      'revoke', JSON_OBJECT('event_id', k.event_id, 'ts', k.ts),
      'disclosure_id', p.disclosure_id,
      'withdrawn_at', p.withdrawn_at,
      'used', ce.workday_no - cs.workday_no,
      'limit', s2.limit_n
    ) AS detail,
    p.published_at AS ord,
    p.disclosure_id AS tie
  FROM published AS p
  JOIN decided AS k
    ON k.case_id = p.case_id
  JOIN subject AS s2
    ON s2.case_id = p.case_id
  LEFT JOIN calendar AS cs
    ON cs.day = CAST(k.ts AS DATE)
  LEFT JOIN calendar AS ce
    ON ce.day = CAST(CASE
      WHEN NOT p.withdrawn_at IS NULL AND p.withdrawn_at <= CAST($as_of AS TIMESTAMP)
      THEN p.withdrawn_at
      ELSE CAST($as_of AS TIMESTAMP)
    END AS DATE)
  WHERE
    (
      ce.workday_no - cs.workday_no
    ) > s2.limit_n
), per_case AS (
  SELECT
    g.case_id,
    g.item_code,
    g.dept_code,
    g.source_system,
    LISTAGG(g.clause, '；'
    ORDER BY
      g.ord,
      g.tie) AS text,
    CAST(ARRAY_AGG(g.detail ORDER BY g.ord, g.tie) AS JSON) AS details
  FROM rows AS g
  GROUP BY
    g.case_id,
    g.item_code,
    g.dept_code,
    g.source_system
)
SELECT
  CAST($p5 AS TEXT) AS rule_id,
  CAST($p6 AS INT) AS rule_version,
  CAST($p7 AS TEXT) AS violation_code,
  CAST(x.case_id AS TEXT) AS case_id,
  CAST(x.item_code AS TEXT) AS item_code,
  CAST(x.dept_code AS TEXT) AS dept_code,
  CAST(x.source_system AS TEXT) AS source_system,
  CAST('' AS TEXT) AS occurrence,
  CAST($p4 AS TEXT) AS level,
  CAST($p8 AS TEXT) AS category,
  CAST($p9 AS TEXT) AS title,
  CAST(CONCAT('', COALESCE(CAST(x.text AS TEXT), ''), '。') AS TEXT) AS message,
  CAST(JSON_OBJECT('records', x.details) AS JSON) AS evidence,
  CAST(NULL AS TIMESTAMP) AS due_at,
  CAST(NULL AS INT) AS days_overdue,
  CAST(NULL AS INT) AS days_left
FROM per_case AS x
