-- Photos of a hidden danger: as found, and as rectified.

CREATE TABLE danger_photos (
    id           INTEGER PRIMARY KEY,
    danger_id    INTEGER NOT NULL REFERENCES hidden_dangers(id),
    file_name    TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes   BIGINT NOT NULL,
    sha256       TEXT NOT NULL,
    content      BLOB NOT NULL,
    uploaded_by  INTEGER NOT NULL REFERENCES users(id),
    uploaded_at  BIGINT NOT NULL
);
CREATE INDEX danger_photos_danger ON danger_photos(danger_id);
