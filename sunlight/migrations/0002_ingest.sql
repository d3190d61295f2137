-- Ingest bookkeeping: the order of files within a load (ties in time keep source order, and the
-- source order of two files is their load order), the per-record counts of files that hold more
-- than one record (an XES log: cases and events; a workbook: one sheet per record), and which
-- record a quarantined row belongs to (row numbers restart on each sheet of a workbook).

ALTER TABLE load_files ADD COLUMN file_no INTEGER;        -- 1.. in the order the load read its files
ALTER TABLE load_files ADD COLUMN detail JSON;            -- {record: {read, loaded, quarantined}}
ALTER TABLE quarantine ADD COLUMN record VARCHAR;         -- cases / events / items / ...
