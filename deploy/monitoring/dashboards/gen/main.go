// Command gen writes the Grafana dashboards of package dashboards into the directory given
// (`make generate`: go run ./deploy/monitoring/dashboards/gen deploy/monitoring/dashboards).
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/storefront/storefront/deploy/monitoring/dashboards"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gen DIR")
		os.Exit(2)
	}
	files, err := dashboards.Files()
	if err == nil {
		for name, raw := range files {
			if err = os.WriteFile(filepath.Join(os.Args[1], name), raw, 0o644); err != nil {
				break
			}
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
