package vault

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Disk is a Backend in a local directory: one file per object, written
// to a temporary file, synced and renamed into place.
type Disk struct{ dir string }

// NewDisk returns a Backend in dir, creating it if needed. It removes the
// partial files of uploads a crash cut off: no upload is under way before
// the node opens its vault.
func NewDisk(dir string) (*Disk, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the vault directory: %w", err)
	}
	if err := sweepPartial(dir); err != nil {
		return nil, err
	}
	return &Disk{dir: dir}, nil
}

// sweepPartial removes the files Put writes before it commits them, in
// the object directories of dir.
func sweepPartial(dir string) error {
	partial, err := filepath.Glob(filepath.Join(dir, "*", "*"+partialSuffix))
	if err != nil {
		return fmt.Errorf("listing partial uploads in the vault: %w", err)
	}
	for _, p := range partial {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("removing a partial upload from the vault: %w", err)
		}
	}
	return nil
}

// partialSuffix ends the name of an object being written.
const partialSuffix = ".partial"

// path spreads objects over subdirectories by the first two characters
// of their names (hex digests: 256 directories).
func (d *Disk) path(name string) string {
	if len(name) < 2 {
		return filepath.Join(d.dir, "_", name)
	}
	return filepath.Join(d.dir, name[:2], name)
}

// Put writes the object; a failed read of r leaves nothing behind.
func (d *Disk) Put(ctx context.Context, name string, r io.Reader) error {
	final := d.path(name)
	if err := os.MkdirAll(filepath.Dir(final), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(final), name+".*"+partialSuffix)
	if err != nil {
		return err
	}
	committed := false
	defer func() {
		if !committed {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := io.Copy(tmp, contextReader{ctx, r}); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return err
	}
	committed = true
	return syncDir(filepath.Dir(final))
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// Get opens the object.
func (d *Disk) Get(_ context.Context, name string) (io.ReadCloser, error) {
	f, err := os.Open(d.path(name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	return f, err
}

// Exists reports whether the object is stored.
func (d *Disk) Exists(_ context.Context, name string) (bool, error) {
	_, err := os.Stat(d.path(name))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// Delete removes the object; a missing object is not an error.
func (d *Disk) Delete(_ context.Context, name string) error {
	err := os.Remove(d.path(name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// contextReader stops a long copy when its context ends.
type contextReader struct {
	ctx context.Context
	r   io.Reader
}

func (c contextReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
