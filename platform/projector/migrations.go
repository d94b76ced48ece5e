package projector

import (
	"embed"
	"io/fs"

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
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err) // the path is a constant of this package
	}
	return pgmigrate.Set{Name: "projector", Schema: Schema, FS: sub}
}
