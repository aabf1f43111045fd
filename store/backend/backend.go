// Package backend chooses the store from configuration: PostgreSQL when configured, otherwise the
// embedded SQLite database. Blobs live where the store does: in PostgreSQL beside a PostgreSQL
// store (so every node sees them), on the filesystem under the data directory beside SQLite, or on
// the filesystem when configured so (a directory every node mounts).
package backend

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/parleyhq/parley/store"
	"github.com/parleyhq/parley/store/blobfs"
	"github.com/parleyhq/parley/store/postgres"
	"github.com/parleyhq/parley/store/sqlite"
)

// Drivers, and blob backends.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
	FS       = "fs"
)

// ErrConfig is wrapped by every configuration error Open and Config.Validate return.
var ErrConfig = errors.New("store config")

// Config selects and locates the store.
type Config struct {
	// Driver is "sqlite" (the default when empty) or "postgres".
	Driver string `json:"driver" yaml:"driver"`
	// DSN is the database: for sqlite a file path (default DataDir/parley.db), for postgres a
	// connection string (required), e.g. "postgres://parley@db:5432/parley".
	DSN string `json:"dsn" yaml:"dsn"`
	// DataDir holds the SQLite database by default and filesystem blobs (DataDir/blobs). Required.
	DataDir string `json:"data_dir" yaml:"data_dir"`
	// Blobs is "fs" (DataDir/blobs) or "postgres" (in the database); empty follows the driver.
	Blobs string `json:"blobs" yaml:"blobs"`
}

// BlobBackend is where the configured blobs live: fs or postgres.
func (c Config) BlobBackend() string {
	if c.Blobs != "" {
		return c.Blobs
	}
	if c.Driver == Postgres {
		return Postgres
	}
	return FS
}

// Validate reports a configuration error without opening anything.
func (c Config) Validate() error {
	if c.DataDir == "" {
		return fmt.Errorf("%w: data directory is empty", ErrConfig)
	}
	switch c.Driver {
	case "", SQLite:
	case Postgres:
		if c.DSN == "" {
			return fmt.Errorf("%w: the postgres driver needs a DSN such as postgres://user@host:5432/parley", ErrConfig)
		}
	default:
		return fmt.Errorf("%w: unknown driver %q (want sqlite or postgres)", ErrConfig, c.Driver)
	}
	switch c.Blobs {
	case "", FS:
	case Postgres:
		if c.Driver != Postgres {
			return fmt.Errorf("%w: blobs in postgres need the postgres driver", ErrConfig)
		}
	default:
		return fmt.Errorf("%w: unknown blob backend %q (want fs or postgres)", ErrConfig, c.Blobs)
	}
	return nil
}

// Open opens the configured store and the blob store. The caller closes the store.
func Open(ctx context.Context, c Config) (store.Store, store.Blobs, error) {
	if err := c.Validate(); err != nil {
		return nil, nil, err
	}
	var (
		s     store.Store
		blobs store.Blobs
		err   error
	)
	switch c.Driver {
	case Postgres:
		var p *postgres.Postgres
		if p, err = postgres.Open(ctx, c.DSN); err == nil {
			s, blobs = p, p.Blobs()
		}
	default:
		path := c.DSN
		if path == "" {
			path = filepath.Join(c.DataDir, "parley.db")
		}
		s, err = sqlite.Open(ctx, path)
	}
	if err != nil {
		return nil, nil, err
	}
	if c.BlobBackend() == FS {
		if blobs, err = blobfs.New(filepath.Join(c.DataDir, "blobs")); err != nil {
			s.Close()
			return nil, nil, err
		}
	}
	return s, blobs, nil
}
