package memstore_test

import (
	"testing"

	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/es/estest"
	"github.com/storefront/storefront/platform/es/memstore"
)

func TestContract(t *testing.T) {
	estest.Run(t, func(*testing.T) es.Store { return memstore.New() })
}
