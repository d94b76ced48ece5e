package storage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Dir stores objects as files under a directory: key "a/b.webp" is file <root>/a/b.webp.
// Reads and writes go through an os.Root, so no key can reach outside the directory.
type Dir struct {
	root *os.Root
}

// OpenDir opens (creating it when missing) the directory that holds the objects.
func OpenDir(dir string) (*Dir, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("storage: media directory: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("storage: media directory: %w", err)
	}
	return &Dir{root: root}, nil
}

// Close releases the directory.
func (d *Dir) Close() error { return d.root.Close() }

// Put writes the object to a temporary file and renames it into place, so a reader never
// sees a partial object and a crash leaves at most a stray temporary file.
func (d *Dir) Put(_ context.Context, key, _ string, data []byte) error {
	if err := ValidKey(key); err != nil {
		return err
	}
	name := filepath.FromSlash(key)
	if dir := filepath.Dir(name); dir != "." {
		if err := d.root.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("storage: put %s: %w", key, err)
		}
	}
	tmp := name + ".tmp-" + randomSuffix()
	f, err := d.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("storage: put %s: %w", key, err)
	}
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = d.root.Rename(tmp, name)
	}
	if werr != nil {
		_ = d.root.Remove(tmp)
		return fmt.Errorf("storage: put %s: %w", key, werr)
	}
	return nil
}

// Get opens the object's file.
func (d *Dir) Get(_ context.Context, key string) (*Object, error) {
	if err := ValidKey(key); err != nil {
		return nil, err
	}
	f, err := d.root.Open(filepath.FromSlash(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	if err != nil {
		return nil, fmt.Errorf("storage: get %s: %w", key, err)
	}
	st, err := f.Stat()
	if err == nil && st.IsDir() {
		err = fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	return &Object{Body: f, ContentType: ContentTypeOf(key), Size: st.Size(), ModTime: st.ModTime()}, nil
}

// Exists says whether the object's file exists.
func (d *Dir) Exists(_ context.Context, key string) (bool, error) {
	if err := ValidKey(key); err != nil {
		return false, err
	}
	st, err := d.root.Stat(filepath.FromSlash(key))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("storage: stat %s: %w", key, err)
	}
	return !st.IsDir() && !strings.Contains(st.Name(), ".tmp-"), nil
}
