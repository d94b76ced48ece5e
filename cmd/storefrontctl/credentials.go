package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// session is the token pair stored for one server by `storefrontctl login`.
type session struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	// RFC 3339: when the access token expires, as the server announced at login or refresh.
	ExpiresAt string `json:"expires_at"`
	Email     string `json:"email"`
	UserID    string `json:"user_id"`
}

// credentialsFile is the stored file: one session per server, keyed by the server's base
// URL, so that a token is only ever sent to the server that issued it.
type credentialsFile struct {
	Servers map[string]session `json:"servers"`
}

// credentialStore keeps credentialsFile at path with mode 0600 (its directory 0700).
type credentialStore struct{ path string }

// defaultCredentialStore is the store in the user's config directory
// (os.UserConfigDir()/storefront/credentials.json).
func defaultCredentialStore() (credentialStore, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return credentialStore{}, fmt.Errorf("finding the config directory for the credentials: %w", err)
	}
	return credentialStore{path: filepath.Join(dir, "storefront", "credentials.json")}, nil
}

// load reads the file; a missing file is an empty one.
func (s credentialStore) load() (credentialsFile, error) {
	f := credentialsFile{Servers: map[string]session{}}
	b, err := os.ReadFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return f, fmt.Errorf("reading the credentials: %w", err)
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return f, fmt.Errorf("reading the credentials %s: %w", s.path, err)
	}
	if f.Servers == nil {
		f.Servers = map[string]session{}
	}
	return f, nil
}

// save replaces the file atomically (a temporary file, created 0600, renamed over it); an
// empty file is removed instead.
func (s credentialStore) save(f credentialsFile) error {
	if len(f.Servers) == 0 {
		if err := os.Remove(s.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("removing the credentials: %w", err)
		}
		return nil
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the credentials: %w", err)
	}
	dir := filepath.Dir(s.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating the credentials directory: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".credentials-*.json")
	if err != nil {
		return fmt.Errorf("writing the credentials: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing left to remove
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("writing the credentials: %w", err)
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("writing the credentials: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing the credentials: %w", err)
	}
	if err := os.Rename(tmp.Name(), s.path); err != nil {
		return fmt.Errorf("writing the credentials: %w", err)
	}
	return nil
}

// get is the session stored for server, if any.
func (s credentialStore) get(server string) (session, bool, error) {
	f, err := s.load()
	if err != nil {
		return session{}, false, err
	}
	sess, ok := f.Servers[server]
	return sess, ok && sess.AccessToken != "", nil
}

// put stores sess for server, keeping the other servers' sessions.
func (s credentialStore) put(server string, sess session) error {
	f, err := s.load()
	if err != nil {
		return err
	}
	f.Servers[server] = sess
	return s.save(f)
}

// remove forgets server's session; it reports whether there was one.
func (s credentialStore) remove(server string) (bool, error) {
	f, err := s.load()
	if err != nil {
		return false, err
	}
	if _, ok := f.Servers[server]; !ok {
		return false, nil
	}
	delete(f.Servers, server)
	return true, s.save(f)
}
