-- Facts about the store itself, such as whether it was bootstrapped.

-- +goose Up
CREATE TABLE keyway_meta (
    name  TEXT   NOT NULL PRIMARY KEY,
    value BIGINT NOT NULL
);

-- +goose Down
DROP TABLE keyway_meta;
