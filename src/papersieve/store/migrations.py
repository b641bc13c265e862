"""Numbered schema migrations. Never edit a released one: add the next number."""

from __future__ import annotations

V1 = """
CREATE TABLE papers (
    pk INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,              -- version-less arXiv id
    title TEXT NOT NULL,
    abstract TEXT NOT NULL,
    authors TEXT NOT NULL,                -- JSON list, names exactly as the source gave them
    categories TEXT NOT NULL,             -- JSON list, primary first
    primary_category TEXT,
    comment TEXT,
    latest_version INTEGER,
    content_hash TEXT NOT NULL,
    first_listed TEXT,                    -- first listing date it appeared on
    updated_at TEXT NOT NULL
);
CREATE TABLE paper_versions (
    paper_id TEXT NOT NULL REFERENCES papers(id),
    version INTEGER NOT NULL,
    first_seen TEXT NOT NULL,
    PRIMARY KEY (paper_id, version)
);
CREATE VIRTUAL TABLE papers_fts USING fts5(
    title, abstract, authors, content='papers', content_rowid='pk', tokenize='porter unicode61'
);
CREATE TRIGGER papers_ai AFTER INSERT ON papers BEGIN
    INSERT INTO papers_fts(rowid, title, abstract, authors)
    VALUES (new.pk, new.title, new.abstract, new.authors);
END;
CREATE TRIGGER papers_ad AFTER DELETE ON papers BEGIN
    INSERT INTO papers_fts(papers_fts, rowid, title, abstract, authors)
    VALUES ('delete', old.pk, old.title, old.abstract, old.authors);
END;
CREATE TRIGGER papers_au AFTER UPDATE ON papers BEGIN
    INSERT INTO papers_fts(papers_fts, rowid, title, abstract, authors)
    VALUES ('delete', old.pk, old.title, old.abstract, old.authors);
    INSERT INTO papers_fts(rowid, title, abstract, authors)
    VALUES (new.pk, new.title, new.abstract, new.authors);
END;

CREATE TABLE listings (
    id INTEGER PRIMARY KEY,
    date TEXT,                            -- announcement date (feed pubDate, US Eastern)
    requested_date TEXT,                  -- the date that was asked for
    category TEXT NOT NULL,
    source TEXT NOT NULL,                 -- rss, atom, api, oai-pmh, jsonl, file
    status TEXT NOT NULL,                 -- ok, no_announcement, stale
    approximate INTEGER NOT NULL DEFAULT 0,
    note TEXT NOT NULL DEFAULT '',
    total_entries INTEGER NOT NULL,
    fetched_at TEXT NOT NULL,
    UNIQUE (requested_date, category, source)
);
CREATE TABLE listing_entries (
    listing_id INTEGER NOT NULL REFERENCES listings(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    paper_id TEXT NOT NULL REFERENCES papers(id),
    version INTEGER,
    announce_type TEXT NOT NULL,
    PRIMARY KEY (listing_id, position)
);
CREATE INDEX listing_entries_paper ON listing_entries(paper_id);

CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    profile TEXT NOT NULL,
    date TEXT NOT NULL,
    judge TEXT NOT NULL,
    model TEXT NOT NULL DEFAULT '',
    prompt_hash TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,                 -- running, done, failed, no_announcement, stale
    started_at TEXT NOT NULL,
    finished_at TEXT,
    total INTEGER, scanned INTEGER, unique_count INTEGER, relevant INTEGER,
    prompt_tokens INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    cached_tokens INTEGER NOT NULL DEFAULT 0,
    cost REAL,                            -- NULL when a model's price is unknown
    timings TEXT NOT NULL DEFAULT '{}',   -- JSON: stage -> seconds
    message TEXT NOT NULL DEFAULT '',
    pid INTEGER
);
CREATE INDEX runs_profile_date ON runs(profile, date);

CREATE TABLE judgements (
    id INTEGER PRIMARY KEY,
    paper_id TEXT NOT NULL REFERENCES papers(id),
    run_id INTEGER REFERENCES runs(id),
    judge TEXT NOT NULL,                  -- llm, local, hybrid, author, rules
    stage TEXT NOT NULL DEFAULT '',       -- title, abstract, local, ...
    model TEXT NOT NULL DEFAULT '',
    prompt_hash TEXT NOT NULL DEFAULT '',
    content_hash TEXT NOT NULL DEFAULT '',
    outcome TEXT NOT NULL,
    relevance REAL,
    novelty REAL,
    comment TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
CREATE INDEX judgements_cache ON judgements(judge, stage, model, prompt_hash, paper_id, content_hash);
CREATE INDEX judgements_run ON judgements(run_id);
CREATE INDEX judgements_paper ON judgements(paper_id);

-- The one outcome of each candidate of a run (points at the judgement that decided it).
CREATE TABLE run_candidates (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    paper_id TEXT NOT NULL REFERENCES papers(id),
    outcome TEXT NOT NULL,
    judgement_id INTEGER REFERENCES judgements(id),
    picked INTEGER NOT NULL DEFAULT 0,
    rank INTEGER,
    PRIMARY KEY (run_id, paper_id)
);

CREATE TABLE llm_calls (
    id INTEGER PRIMARY KEY,
    run_id INTEGER REFERENCES runs(id),
    request_hash TEXT NOT NULL,
    model TEXT NOT NULL,
    stage TEXT NOT NULL DEFAULT '',
    paper_ids TEXT NOT NULL DEFAULT '[]', -- JSON list of the ids in the batch
    prompt_tokens INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    cached_tokens INTEGER NOT NULL DEFAULT 0,
    cost REAL,
    latency_ms INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL,                 -- ok, error
    finish_reason TEXT NOT NULL DEFAULT '',
    error TEXT NOT NULL DEFAULT '',
    raw_reply TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
CREATE INDEX llm_calls_run ON llm_calls(run_id);
CREATE INDEX llm_calls_request ON llm_calls(request_hash);

CREATE TABLE feedback (
    id INTEGER PRIMARY KEY,
    paper_id TEXT NOT NULL,
    label INTEGER NOT NULL,               -- +1 liked, -1 disliked, 0 withdrawn
    source TEXT NOT NULL,                 -- cli, web, bibtex
    note TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
CREATE INDEX feedback_paper ON feedback(paper_id);

CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    channel TEXT NOT NULL,                -- files, slack, email
    status TEXT NOT NULL,                 -- ok, failed, skipped
    detail TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);

CREATE TABLE author_hindex (
    key TEXT PRIMARY KEY,                 -- Semantic Scholar author id or normalised name
    name TEXT NOT NULL,
    h_index INTEGER,
    fetched_at TEXT NOT NULL
);

CREATE TABLE local_models (
    id INTEGER PRIMARY KEY,
    profile TEXT NOT NULL,
    method TEXT NOT NULL,
    version INTEGER NOT NULL,
    trained_on INTEGER NOT NULL,          -- labelled papers used
    meta TEXT NOT NULL DEFAULT '{}',
    blob BLOB,
    created_at TEXT NOT NULL,
    UNIQUE (profile, method, version)
);

CREATE TABLE embeddings (
    paper_id TEXT NOT NULL,
    model TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (paper_id, model)
);
"""


V2 = """
-- What a finished run needs to rebuild its digest (digests.load_digest), and the run lock.
ALTER TABLE runs ADD COLUMN prompt_system TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN prompt_user TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN prompt_cost REAL;
ALTER TABLE runs ADD COLUMN completion_cost REAL;
ALTER TABLE runs ADD COLUMN notes TEXT NOT NULL DEFAULT '[]';   -- JSON list of notes for the user
ALTER TABLE runs ADD COLUMN out_dir TEXT NOT NULL DEFAULT '';

-- At most one run of a profile and day at a time; a row whose pid is dead is stale.
CREATE TABLE run_locks (
    profile TEXT NOT NULL,
    date TEXT NOT NULL,
    pid INTEGER NOT NULL,
    host TEXT NOT NULL DEFAULT '',
    acquired_at TEXT NOT NULL,
    PRIMARY KEY (profile, date)
);
"""


V3 = """
-- A paper's outcomes across runs (web paper page, search filters) without a full table scan.
CREATE INDEX run_candidates_paper ON run_candidates(paper_id, picked);
"""


V4 = """
-- The local judge's features of its training papers (hashed n-grams, semantic vector, cold-start
-- components), so that retraining in a new process reads them instead of recomputing them.
-- `content_hash` is what they were computed from; `kind` names the feature set and its version.
CREATE TABLE local_features (
    paper_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (paper_id, kind)
);
"""


V5 = """
-- The run lock's lease: a live run renews it; once it has passed, the lock is stale on any host
-- (a cancelled CI job never comes back to release it, and its runner's host name is never seen
-- again). '' for a lock taken before leases: its lease ends LEASE seconds after acquired_at.
ALTER TABLE run_locks ADD COLUMN expires_at TEXT NOT NULL DEFAULT '';
"""


V6 = """
-- What the LLM judge learnt about a server and model (judges/llm): the structured-output form that
-- worked, the batch size refused for its length. `server` is the base URL without credentials.
CREATE TABLE llm_servers (
    server TEXT NOT NULL,
    model TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (server, model, key)
);

-- The JSON schema the LLM's replies were constrained to (shown in the JSON digest).
ALTER TABLE runs ADD COLUMN prompt_schema TEXT NOT NULL DEFAULT '';
"""


V7 = """
-- Feedback from the chat (chatfeedback.py): which paper each delivered Telegram message or Slack
-- thread reply holds, so that a button press or a reaction on it becomes feedback for the profile
-- that sent it. `chat` is the Telegram chat id or the Slack channel id, `message` the Telegram
-- message_id or the Slack ts, `position` the paper's place in that message (1-based); `label` is
-- the last label read back from a reaction (Slack reactions are a state, read again each time).
CREATE TABLE chat_messages (
    id INTEGER PRIMARY KEY,
    profile TEXT NOT NULL,
    channel TEXT NOT NULL,                -- telegram, slack
    chat TEXT NOT NULL,
    message TEXT NOT NULL,
    thread TEXT NOT NULL DEFAULT '',      -- the Slack thread's ts
    position INTEGER NOT NULL,
    paper_id TEXT NOT NULL,
    run_id INTEGER,
    date TEXT NOT NULL,
    label INTEGER,
    created_at TEXT NOT NULL
);
CREATE INDEX chat_messages_message ON chat_messages(channel, chat, message);
CREATE INDEX chat_messages_profile ON chat_messages(profile, channel, created_at);

-- Where reading a chat's updates stopped (Telegram getUpdates' offset, per bot).
CREATE TABLE chat_cursors (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
"""


V8 = """
-- Abstracts stored compressed (store/textpack.py): the table is `papers_data`, whose `abstract`
-- holds packed bytes (or, for a row written before, its text); `papers` is a view with the
-- abstract as text, which every reader and the full-text index (content='papers') read as before.
-- The connection provides papersieve_pack / papersieve_unpack (store/db.py registers them).
-- The rename carries the other tables' REFERENCES papers(id) over to papers_data.
ALTER TABLE papers RENAME TO papers_data;
DROP TRIGGER papers_ai;
DROP TRIGGER papers_ad;
DROP TRIGGER papers_au;
UPDATE papers_data SET abstract = papersieve_pack(abstract) WHERE typeof(abstract) = 'text';
CREATE VIEW papers AS SELECT pk, id, title, papersieve_unpack(abstract) AS abstract, authors,
    categories, primary_category, comment, latest_version, content_hash, first_listed, updated_at
    FROM papers_data;
-- The view takes writes too (INSERT, UPDATE except of pk and id, DELETE), for code written
-- against the table; store/papers.py writes papers_data directly.
CREATE TRIGGER papers_insert INSTEAD OF INSERT ON papers BEGIN
    INSERT INTO papers_data (pk, id, title, abstract, authors, categories, primary_category,
        comment, latest_version, content_hash, first_listed, updated_at)
    VALUES (new.pk, new.id, new.title, papersieve_pack(new.abstract), new.authors, new.categories,
        new.primary_category, new.comment, new.latest_version, new.content_hash, new.first_listed,
        new.updated_at);
END;
CREATE TRIGGER papers_update INSTEAD OF UPDATE ON papers BEGIN
    UPDATE papers_data SET title = new.title, abstract = papersieve_pack(new.abstract),
        authors = new.authors, categories = new.categories,
        primary_category = new.primary_category, comment = new.comment,
        latest_version = new.latest_version, content_hash = new.content_hash,
        first_listed = new.first_listed, updated_at = new.updated_at
    WHERE pk = old.pk;
END;
CREATE TRIGGER papers_delete INSTEAD OF DELETE ON papers BEGIN
    DELETE FROM papers_data WHERE pk = old.pk;
END;
CREATE TRIGGER papers_data_ai AFTER INSERT ON papers_data BEGIN
    INSERT INTO papers_fts(rowid, title, abstract, authors)
    VALUES (new.pk, new.title, papersieve_unpack(new.abstract), new.authors);
END;
CREATE TRIGGER papers_data_ad AFTER DELETE ON papers_data BEGIN
    INSERT INTO papers_fts(papers_fts, rowid, title, abstract, authors)
    VALUES ('delete', old.pk, old.title, papersieve_unpack(old.abstract), old.authors);
END;
CREATE TRIGGER papers_data_au AFTER UPDATE ON papers_data BEGIN
    INSERT INTO papers_fts(papers_fts, rowid, title, abstract, authors)
    VALUES ('delete', old.pk, old.title, papersieve_unpack(old.abstract), old.authors);
    INSERT INTO papers_fts(rowid, title, abstract, authors)
    VALUES (new.pk, new.title, papersieve_unpack(new.abstract), new.authors);
END;

-- The judgement cache's lookup (judge, stage, model, prompt hash, paper, text hash) is served by
-- judgements_paper: a paper has a handful of judgements. This index repeated all six values of
-- every judgement, 13.5 MB of a year's store (bench/store_size.py).
DROP INDEX judgements_cache;
"""


V9 = """
-- "Similar papers" (web/similar.py): each paper's unit vector in the local judge's semantic space
-- (float16, little-endian), computed once; `space` names the space it was computed in. A paper
-- whose title or abstract changes loses its vector (recomputed on next use). `id` only grows, so a
-- process holding the vectors in memory knows what is new. (Papers live in papers_data since V8.)
CREATE TABLE paper_vectors (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    paper_pk INTEGER NOT NULL UNIQUE REFERENCES papers_data(pk) ON DELETE CASCADE,
    space TEXT NOT NULL,
    vector BLOB NOT NULL
);
CREATE TRIGGER paper_vectors_stale AFTER UPDATE OF title, abstract ON papers_data
WHEN old.title IS NOT new.title OR old.abstract IS NOT new.abstract BEGIN
    DELETE FROM paper_vectors WHERE paper_pk = old.pk;
END;

-- Collections (web/collections): named sets of papers a person files papers under, apart from
-- likes and dislikes.
CREATE TABLE collections (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    created_at TEXT NOT NULL
);
CREATE TABLE collection_papers (
    collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
    paper_id TEXT NOT NULL REFERENCES papers_data(id),
    added_at TEXT NOT NULL,
    PRIMARY KEY (collection_id, paper_id)
);
CREATE INDEX collection_papers_paper ON collection_papers(paper_id);
"""


V10 = """
-- A judgement's TL;DR (`[outputs] tldr`): its text, its kind (`llm` or `extractive`, '' for none),
-- and the BCP 47 tag of the language its comment and TL;DR were asked in ('' for English).
ALTER TABLE judgements ADD COLUMN tldr TEXT NOT NULL DEFAULT '';
ALTER TABLE judgements ADD COLUMN tldr_kind TEXT NOT NULL DEFAULT '';
ALTER TABLE judgements ADD COLUMN language TEXT NOT NULL DEFAULT '';
"""


V11 = """
-- Feedback belongs to one profile (issue 18): a like given on one profile no longer trains every
-- profile. A web like went to the profile whose finished run last showed the paper as a candidate
-- (web/teach.last_profile), so an existing web row gets that profile as of when it was given;
-- every other row (CLI, imports) gets 'default', the built-in profile's name.
ALTER TABLE feedback ADD COLUMN profile TEXT NOT NULL DEFAULT 'default';
UPDATE feedback SET profile = COALESCE((
    SELECT r.profile FROM run_candidates c JOIN runs r ON r.id = c.run_id
    WHERE c.paper_id = feedback.paper_id AND r.status = 'done' AND r.started_at <= feedback.created_at
    ORDER BY r.date DESC, r.id DESC LIMIT 1), 'default')
WHERE source = 'web';
CREATE INDEX feedback_profile_paper ON feedback(profile, paper_id);

-- What a researcher's own library says she likes (`import-likes`): each entry's title and
-- abstract is a positive example for one profile whether or not the store holds the paper.
-- `paper_id` is the arXiv id when known, else ''; `added` is when she added it to her library
-- (the export's date, else the import's), which weighs the example by recency.
CREATE TABLE library_examples (
    id INTEGER PRIMARY KEY,
    profile TEXT NOT NULL,
    key TEXT NOT NULL,                    -- arXiv id, DOI or normalised title: one row per paper
    paper_id TEXT NOT NULL DEFAULT '',
    title TEXT NOT NULL,
    abstract TEXT NOT NULL DEFAULT '',
    added TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL,                 -- bibtex, csl-json, zotero-rdf, zotero
    note TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    UNIQUE (profile, key)
);
"""


V12 = """
-- Profiles kept in the store (issue 19): a group's installation holds every member's profile,
-- created from a folder (`papersieve profile add NAME DIR`), edited in the web app, exported back
-- to a folder. `files` is a JSON object {file name: text} of the folder's profile files
-- (profile.toml, the prompt texts, authors.txt); the name is the profile's name everywhere else
-- (runs, feedback, collections). `revision` grows at every edit.
CREATE TABLE profiles (
    name TEXT PRIMARY KEY,
    files TEXT NOT NULL,
    revision INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
"""


V13 = """
-- Accounts of the group web app (issue 19, `papersieve serve --group`). Passwords are kept only as
-- argon2id hashes; an invite link's secret only as its SHA-256 (the link is shown once). A user
-- owns stored profiles (user_profiles: one owner per profile) and sees and teaches only those.
-- `session_epoch` grows at every sign-out: the signed session cookies made before it stop working.
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT NOT NULL,
    is_admin INTEGER NOT NULL DEFAULT 0,
    session_epoch INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE TABLE invites (
    id INTEGER PRIMARY KEY,
    secret_hash TEXT NOT NULL UNIQUE,
    created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT,
    used_by INTEGER REFERENCES users(id) ON DELETE SET NULL
);
CREATE TABLE user_profiles (
    profile TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE
);
CREATE INDEX user_profiles_user ON user_profiles(user_id);
"""


V14 = """
-- Unsubscribe links in the digest's emails (issue 19): an address that followed its signed link
-- gets no more of that profile's emails. Kept beside the profile (not an edit of its profile.toml),
-- so that a profile stored again from its folder does not subscribe the address again.
CREATE TABLE email_unsubscribes (
    profile TEXT NOT NULL,
    address TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (profile, address)
);
"""


V15 = """
-- Collections belong to one profile (issue 21), as feedback does since V11: two profiles may each
-- have a collection of the same name. The table is rebuilt (a column's UNIQUE cannot be dropped):
-- new tables first, rows copied, the old child then the old parent dropped (no cascade reaches the
-- copies: they reference the new parent), then renamed. An existing collection goes to the profile
-- whose finished run last showed its first filed paper before it was filed (the digest it was
-- filed from, as V11 does for a web like), else 'default', the built-in profile's name.
CREATE TABLE collections_v12 (
    id INTEGER PRIMARY KEY,
    profile TEXT NOT NULL DEFAULT 'default',
    name TEXT NOT NULL COLLATE NOCASE,
    created_at TEXT NOT NULL,
    UNIQUE (profile, name)
);
INSERT INTO collections_v12 (id, profile, name, created_at)
SELECT c.id, COALESCE((
    SELECT r.profile FROM collection_papers cp
    JOIN run_candidates rc ON rc.paper_id = cp.paper_id
    JOIN runs r ON r.id = rc.run_id
    WHERE cp.collection_id = c.id AND r.status = 'done' AND r.started_at <= cp.added_at
    ORDER BY cp.added_at, cp.paper_id, r.date DESC, r.id DESC LIMIT 1), 'default'), c.name, c.created_at
FROM collections c;
CREATE TABLE collection_papers_v12 (
    collection_id INTEGER NOT NULL REFERENCES collections_v12(id) ON DELETE CASCADE,
    paper_id TEXT NOT NULL REFERENCES papers_data(id),
    added_at TEXT NOT NULL,
    PRIMARY KEY (collection_id, paper_id)
);
INSERT INTO collection_papers_v12 (collection_id, paper_id, added_at)
SELECT collection_id, paper_id, added_at FROM collection_papers;
DROP TABLE collection_papers;
DROP TABLE collections;
ALTER TABLE collections_v12 RENAME TO collections;
ALTER TABLE collection_papers_v12 RENAME TO collection_papers;
CREATE INDEX collection_papers_paper ON collection_papers(paper_id);

-- A collection's ranking model (web/collection_rank.py): the local judge's TextModel (.npz, no
-- pickle) trained on the collection's papers, kept until they change (`fingerprint`), so a
-- restarted web app does not train it again.
CREATE TABLE collection_models (
    collection_id INTEGER PRIMARY KEY REFERENCES collections(id) ON DELETE CASCADE,
    fingerprint TEXT NOT NULL,
    blob BLOB NOT NULL,
    created_at TEXT NOT NULL
);

-- The web search's "with code" filter read every abstract with a regular expression (24 s on a
-- year's store). Each paper's flag is now kept: set at ingest (store/papers.py, the rule of
-- codelinks.has_code, which store/db.py gives this connection), filled here for the papers stored
-- before. NULL for a row written through the `papers` view: the filter reads its text as before.
ALTER TABLE papers_data ADD COLUMN has_code INTEGER;
UPDATE papers_data SET has_code = papersieve_has_code(papersieve_unpack(abstract), comment);
CREATE INDEX papers_data_with_code ON papers_data(pk) WHERE has_code = 1;
CREATE INDEX papers_data_code_unknown ON papers_data(pk) WHERE has_code IS NULL;
"""


V16 = """
-- Old runs folded (store/folding.py, `[store] compact_after_days`): the candidates a run did not
-- pick, with their verdicts, as one zlib-compressed JSON document per run instead of a
-- run_candidates row and one or more judgements rows each.
CREATE TABLE folded_runs (
    run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
    candidates BLOB NOT NULL,
    folded_at TEXT NOT NULL
);
-- Deleting a judgement checks that no candidate points at it (foreign keys are on): without
-- this index each check read every run_candidates row.
CREATE INDEX run_candidates_judgement ON run_candidates(judgement_id);
-- A listing of that age keeps its entries the same way: zlib-compressed JSON, one row per listing.
CREATE TABLE folded_listings (
    listing_id INTEGER PRIMARY KEY REFERENCES listings(id) ON DELETE CASCADE,
    entries BLOB NOT NULL
);

-- The search index holds only papers whose text is kept (`[store] keep_text_days`): a paper whose
-- abstract was emptied leaves the index (its title and authors too), and comes back when a feed
-- lists it again. `searchable` says whether the index holds the row, so that the triggers never
-- take out of the index what is not in it (which would corrupt an external-content FTS5 table).
ALTER TABLE papers_data ADD COLUMN searchable INTEGER NOT NULL DEFAULT 1;
DROP TRIGGER papers_data_ai;
DROP TRIGGER papers_data_ad;
DROP TRIGGER papers_data_au;
CREATE TRIGGER papers_data_ai AFTER INSERT ON papers_data WHEN new.searchable BEGIN
    INSERT INTO papers_fts(rowid, title, abstract, authors)
    VALUES (new.pk, new.title, papersieve_unpack(new.abstract), new.authors);
END;
CREATE TRIGGER papers_data_ad AFTER DELETE ON papers_data WHEN old.searchable BEGIN
    INSERT INTO papers_fts(papers_fts, rowid, title, abstract, authors)
    VALUES ('delete', old.pk, old.title, papersieve_unpack(old.abstract), old.authors);
END;
CREATE TRIGGER papers_data_au AFTER UPDATE ON papers_data BEGIN
    INSERT INTO papers_fts(papers_fts, rowid, title, abstract, authors)
    SELECT 'delete', old.pk, old.title, papersieve_unpack(old.abstract), old.authors
    WHERE old.searchable;
    INSERT INTO papers_fts(rowid, title, abstract, authors)
    SELECT new.pk, new.title, papersieve_unpack(new.abstract), new.authors WHERE new.searchable;
END;
"""


V17 = """
-- A run's number of candidates, kept when its record writes it (outcomes.record): a local judge's
-- run folds its unpicked candidates at once (`[store] pack_local_runs`, store/folding.py), so
-- counting its run_candidates rows no longer counts them. NULL: count the rows, as before.
ALTER TABLE runs ADD COLUMN candidates INTEGER;
"""


V18 = """
-- An old paper's row packed (`[store] keep_text_days`, store/retention.py): once its abstract is
-- emptied and it has left the search index, its title, authors and comment are stored as the
-- abstracts are (store/textpack.py, where that is shorter: ~30% less over a year's 59k such
-- rows). The `papers` view unpacks them, so every reader, the search index's external content
-- and the digests see text as before; a feed that lists the paper again writes text back.
-- Dropping the view drops its INSTEAD OF triggers: they are made again as migration 8 made them.
DROP VIEW papers;
CREATE VIEW papers AS SELECT pk, id, papersieve_unpack(title) AS title,
    papersieve_unpack(abstract) AS abstract, papersieve_unpack(authors) AS authors, categories,
    primary_category, papersieve_unpack(comment) AS comment, latest_version, content_hash,
    first_listed, updated_at
    FROM papers_data;
CREATE TRIGGER papers_insert INSTEAD OF INSERT ON papers BEGIN
    INSERT INTO papers_data (pk, id, title, abstract, authors, categories, primary_category,
        comment, latest_version, content_hash, first_listed, updated_at)
    VALUES (new.pk, new.id, new.title, papersieve_pack(new.abstract), new.authors, new.categories,
        new.primary_category, new.comment, new.latest_version, new.content_hash, new.first_listed,
        new.updated_at);
END;
CREATE TRIGGER papers_update INSTEAD OF UPDATE ON papers BEGIN
    UPDATE papers_data SET title = new.title, abstract = papersieve_pack(new.abstract),
        authors = new.authors, categories = new.categories,
        primary_category = new.primary_category, comment = new.comment,
        latest_version = new.latest_version, content_hash = new.content_hash,
        first_listed = new.first_listed, updated_at = new.updated_at
    WHERE pk = old.pk;
END;
CREATE TRIGGER papers_delete INSTEAD OF DELETE ON papers BEGIN
    DELETE FROM papers_data WHERE pk = old.pk;
END;
-- Small facts about the store itself. ('search_index', 'off'): the word search's index is kept
-- empty (`[store] search_index = false`, store/search_index.py): the triggers below then leave it
-- alone, and `searchable` still says which rows it holds once rebuilt.
CREATE TABLE store_state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
-- The search index's triggers read the title and authors unpacked too, and only while the index
-- is kept.
DROP TRIGGER papers_data_ai;
DROP TRIGGER papers_data_ad;
DROP TRIGGER papers_data_au;
CREATE TRIGGER papers_data_ai AFTER INSERT ON papers_data WHEN new.searchable
    AND NOT EXISTS (SELECT 1 FROM store_state WHERE key = 'search_index' AND value = 'off') BEGIN
    INSERT INTO papers_fts(rowid, title, abstract, authors)
    VALUES (new.pk, papersieve_unpack(new.title), papersieve_unpack(new.abstract),
        papersieve_unpack(new.authors));
END;
CREATE TRIGGER papers_data_ad AFTER DELETE ON papers_data WHEN old.searchable
    AND NOT EXISTS (SELECT 1 FROM store_state WHERE key = 'search_index' AND value = 'off') BEGIN
    INSERT INTO papers_fts(papers_fts, rowid, title, abstract, authors)
    VALUES ('delete', old.pk, papersieve_unpack(old.title), papersieve_unpack(old.abstract),
        papersieve_unpack(old.authors));
END;
CREATE TRIGGER papers_data_au AFTER UPDATE ON papers_data
    WHEN NOT EXISTS (SELECT 1 FROM store_state WHERE key = 'search_index' AND value = 'off') BEGIN
    INSERT INTO papers_fts(papers_fts, rowid, title, abstract, authors)
    SELECT 'delete', old.pk, papersieve_unpack(old.title), papersieve_unpack(old.abstract),
        papersieve_unpack(old.authors)
    WHERE old.searchable;
    INSERT INTO papers_fts(rowid, title, abstract, authors)
    SELECT new.pk, papersieve_unpack(new.title), papersieve_unpack(new.abstract),
        papersieve_unpack(new.authors) WHERE new.searchable;
END;

-- Each distinct prompt a run sent, stored once (store/prompt_texts.py): `key` is the SHA-256 of
-- its parts, which a run keeps in `prompt_text_key` instead of the texts in its own row (runs
-- recorded before are moved at the next pruning, store/retention.py).
CREATE TABLE prompt_texts (
    key TEXT PRIMARY KEY,
    system TEXT NOT NULL,
    user_text TEXT NOT NULL,
    schema TEXT NOT NULL
);
ALTER TABLE runs ADD COLUMN prompt_text_key TEXT NOT NULL DEFAULT '';
"""


V19 = """
-- Nothing on SQLite. On PostgreSQL (store/pgschema.py) the `papers` view becomes writable, as
-- SQLite's is through its INSTEAD OF triggers (migrations 8 and 18), and the search index reads
-- `<`, `>`, `&` and `/` as spaces, as FTS5 does.
"""


MIGRATIONS: list[str] = [V1, V2, V3, V4, V5, V6, V7, V8, V9, V10, V11, V12, V13, V14, V15, V16, V17, V18,
                         V19]
"""Migration N is the SQL script MIGRATIONS[N - 1]; `PRAGMA user_version` holds the number applied."""
