package adapters

import (
	"fmt"

	"golang.org/x/crypto/bcrypt"
)

// Bcrypt hashes passwords with bcrypt at a fixed cost (12 in production; lower only in tests).
type Bcrypt struct {
	cost  int
	dummy string
}

// NewBcrypt returns a hasher of the given cost.
func NewBcrypt(cost int) (*Bcrypt, error) {
	if cost < bcrypt.MinCost || cost > bcrypt.MaxCost {
		return nil, fmt.Errorf("bcrypt cost %d out of range %d..%d", cost, bcrypt.MinCost, bcrypt.MaxCost)
	}
	dummy, err := bcrypt.GenerateFromPassword([]byte("dummy password for unknown accounts 0"), cost)
	if err != nil {
		return nil, err
	}
	return &Bcrypt{cost: cost, dummy: string(dummy)}, nil
}

// Hash implements app.PasswordHasher.
func (b *Bcrypt) Hash(password string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), b.cost)
	return string(h), err
}

// Compare implements app.PasswordHasher.
func (b *Bcrypt) Compare(hash, password string) error {
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password))
}

// DummyHash implements app.PasswordHasher.
func (b *Bcrypt) DummyHash() string { return b.dummy }
