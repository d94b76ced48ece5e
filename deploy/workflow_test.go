package deploy

import (
	"io"
	"path/filepath"
	"testing"

	"github.com/rhysd/actionlint"
)

// TestWorkflows_PassActionlint lints every GitHub Actions workflow with actionlint (syntax,
// expressions, job and step keys, runner labels, action inputs of the popular actions), and
// checks the CI workflow runs .ci/run.
func TestWorkflows_PassActionlint(t *testing.T) {
	files, _ := filepath.Glob("../.github/workflows/*.yml")
	if len(files) == 0 {
		t.Fatal("no workflows")
	}
	linter, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{Shellcheck: "", Pyflakes: ""})
	if err != nil {
		t.Fatal(err)
	}
	problems, err := linter.LintFiles(files, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s:%d:%d: %s [%s]", p.Filepath, p.Line, p.Column, p.Message, p.Kind)
	}
}

// actionlint is not a rubber stamp: a workflow with mistakes is flagged.
func TestWorkflows_ActionlintFlagsMistakes(t *testing.T) {
	linter, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	bad := []byte("on: push\njobs:\n  test:\n    runs-onn: ubuntu-24.04\n    steps:\n      - run: echo ${{ github.nope }}\n")
	problems, err := linter.Lint("bad.yml", bad, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) < 2 {
		t.Fatalf("problems %v, want the misspelt key and the unknown context property", problems)
	}
}
