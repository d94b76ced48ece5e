package projector

import (
	"embed"

	"github.com/storefront/storefront/platform/pgmigrate"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Schema is the PostgreSQL schema of the projector's own tables: the registry of projections
// (projections, rebuild_positions, consumers) and the parked events (parked).
const Schema = "projector"

// Migrations returns the projector's migrations, which create Schema. Apply them with
// pgmigrate before calling New.
func Migrations() pgmigrate.Set {
	return pgmigrate.Embedded("projector", Schema, migrations, "migrations")
}
