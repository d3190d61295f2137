-- rule: G_DISCLOSURE_PERSONAL_ID (disclosure)
-- params: {"as_of": null, "p0": "(^|[^0-9])[0-9]{17}[0-9Xx]([^0-9A-Za-z]|$)", "p1": "DECIDE", "p2": "PENALTY_DECISION", "p3": "red", "p4": "G_DISCLOSURE_PERSONAL_ID", "p5": 1, "p6": "TEST", "p7": "公示", "p8": "样例"}
WITH candidate AS (
  SELECT
    d.case_id
  FROM disclosures AS d
  WHERE
    NOT d.case_id IS NULL
    AND d.published_at <= CAST($as_of AS TIMESTAMP)
    AND REGEXP_MATCHES(d.content, CAST($p0 AS TEXT))
  UNION ALL
  SELECT
    c.case_id
  FROM cases AS c
  WHERE
    EXISTS(
      SELECT
        1
      FROM disclosures AS d
      WHERE
        d.case_id IS NULL
        AND d.published_at <= CAST($as_of AS TIMESTAMP)
        AND REGEXP_MATCHES(d.content, CAST($p0 AS TEXT))
    )
), subject AS (
  SELECT
    c.case_id AS case_id,
    c.item_code AS item_code,
    c.dept_code AS dept_code,
    c.source_system AS source_system,
    c.decision_no AS case_decision_no,
    c.fine_amount AS case_fine_amount
  FROM cases AS c
  JOIN items AS i
    ON i.item_code = c.item_code
  WHERE
    EXISTS(
      SELECT
        1
      FROM events AS known
      WHERE
        known.case_id = c.case_id AND known.ts <= CAST($as_of AS TIMESTAMP)
    )
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
      AND e.activity IN (CAST($p1 AS TEXT), CAST($p2 AS TEXT))
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
), rows AS (
  SELECT
    p.case_id,
    p.item_code,
    p.dept_code,
    p.source_system,
    CONCAT(
      COALESCE(
        CAST(CONCAT(
          '公示 ',
          COALESCE(CAST(p.disclosure_id AS TEXT), ''),
          '（',
          COALESCE(CAST(STRFTIME(p.published_at, '%Y-%m-%d %H:%M') AS TEXT), ''),
          '）'
        ) AS TEXT),
        ''
      ),
      '正文含完整的身份证号码'
    ) AS clause,
    JSON_OBJECT(
      'disclosure_id', p.disclosure_id,
      'published_at', p.published_at,
      'url', p.url,
      'decision_no', p.decision_no,
      'fine_amount', p.fine_amount
    ) AS detail,
    p.published_at AS ord,
    p.disclosure_id AS tie
  FROM published AS p
  WHERE
    REGEXP_MATCHES(p.content, CAST($p0 AS TEXT))
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
  CAST($p4 AS TEXT) AS rule_id,
  CAST($p5 AS INT) AS rule_version,
  CAST($p6 AS TEXT) AS violation_code,
  CAST(x.case_id AS TEXT) AS case_id,
  CAST(x.item_code AS TEXT) AS item_code,
  CAST(x.dept_code AS TEXT) AS dept_code,
  CAST(x.source_system AS TEXT) AS source_system,
  CAST('' AS TEXT) AS occurrence,
  CAST($p3 AS TEXT) AS level,
  CAST($p7 AS TEXT) AS category,
  CAST($p8 AS TEXT) AS title,
  CAST(CONCAT('', COALESCE(CAST(x.text AS TEXT), ''), '。') AS TEXT) AS message,
  CAST(JSON_OBJECT('records', x.details) AS JSON) AS evidence,
  CAST(NULL AS TIMESTAMP) AS due_at,
  CAST(NULL AS INT) AS days_overdue,
  CAST(NULL AS INT) AS days_left
FROM per_case AS x
