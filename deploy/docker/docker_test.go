// Package docker holds the fleet's one Dockerfile and the test that lints it offline (no
// Docker engine needed): BuildKit's own parser and linter, then the rules this fleet relies on.
package docker

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	digest "github.com/opencontainers/go-digest"
)

// lintDockerfile runs BuildKit's Dockerfile linter (every rule `docker build --check` runs)
// offline: base images are "resolved" by a stub that answers an empty image config, so no
// registry is asked. It returns the stages and the problems found.
func lintDockerfile(r io.Reader) ([]instructions.Stage, []string, error) {
	dt, err := io.ReadAll(r)
	if err != nil {
		return nil, nil, err
	}
	st := llb.Scratch()
	def, err := st.Marshal(context.Background())
	if err != nil {
		return nil, nil, err
	}
	sm := llb.NewSourceMap(&st, "Dockerfile", "Dockerfile", dt)
	sm.Definition = def
	res, err := dockerfile2llb.DockerfileLint(context.Background(), dt, dockerfile2llb.ConvertOpt{MetaResolver: offlineImages{}, SourceMap: sm})
	if err != nil {
		return nil, nil, fmt.Errorf("lint: %w", err)
	}
	var problems []string
	for _, w := range res.Warnings {
		line := 0
		if len(w.Location.Ranges) > 0 {
			line = int(w.Location.Ranges[0].Start.Line)
		}
		problems = append(problems, fmt.Sprintf("lint %s (line %d): %s", w.RuleName, line, w.Detail))
	}
	ast, err := parser.Parse(bytes.NewReader(dt))
	if err != nil {
		return nil, problems, fmt.Errorf("parse: %w", err)
	}
	stages, _, err := instructions.Parse(ast.AST, nil)
	if err != nil {
		return nil, problems, fmt.Errorf("instructions: %w", err)
	}
	return stages, problems, nil
}

// offlineImages resolves every base image to an empty linux/amd64 config.
type offlineImages struct{}

func (offlineImages) ResolveImageConfig(_ context.Context, ref string, _ sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	return ref, "", []byte(`{"architecture":"amd64","os":"linux","config":{}}`), nil
}

// The linter is not a rubber stamp: Dockerfiles with known mistakes are flagged.
func TestLintDockerfile_FlagsMistakes(t *testing.T) {
	for _, tc := range []struct{ name, file, rule string }{
		{"stage name casing", "FROM golang AS Build\nFROM scratch\nCOPY --from=Build /a /a\n", "StageNameCasing"},
		{"inconsistent casing", "FROM golang AS build\nrun echo hi\n", "ConsistentInstructionCasing"},
		{"shell-form entrypoint", "FROM scratch\nENTRYPOINT /app\n", "JSONArgsRecommended"},
		{"maintainer", "FROM scratch\nMAINTAINER me\n", "MaintainerDeprecated"},
		{"relative workdir", "FROM scratch\nWORKDIR src\n", "WorkdirRelativePath"},
		{"undefined variable", "FROM scratch\nENV A=$UNDEFINED\n", "UndefinedVar"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, problems, _ := lintDockerfile(strings.NewReader(strings.ReplaceAll(tc.file, "\\n", "\n")))
			if !strings.Contains(strings.Join(problems, "\n"), tc.rule) {
				t.Fatalf("problems %v, want %s", problems, tc.rule)
			}
		})
	}
}

func TestDockerfile_ParsesLintsCleanAndBuildsAStaticNonRootImage(t *testing.T) {
	f, err := os.Open("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	stages, problems, err := lintDockerfile(f)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
	if len(stages) < 2 {
		t.Fatalf("%d stages, want a build stage and a minimal final one", len(stages))
	}
	build, final := stages[0], stages[len(stages)-1]
	var cgoOff, usesCMD bool
	for _, c := range build.Commands {
		if run, ok := c.(*instructions.RunCommand); ok {
			line := strings.Join(run.CmdLine, " ")
			cgoOff = cgoOff || strings.Contains(line, "CGO_ENABLED=0")
			usesCMD = usesCMD || strings.Contains(line, "${CMD}")
		}
	}
	if !cgoOff || !usesCMD {
		t.Errorf("the build stage must build ./${CMD} with CGO_ENABLED=0 (a static binary): cgo off %v, CMD %v", cgoOff, usesCMD)
	}
	if !strings.HasPrefix(final.BaseName, "gcr.io/distroless/static") {
		t.Errorf("final base %q, want a distroless static image", final.BaseName)
	}
	var user string
	var entrypoint bool
	for _, c := range final.Commands {
		switch c := c.(type) {
		case *instructions.UserCommand:
			user = c.User
		case *instructions.EntrypointCommand:
			entrypoint = true
		case *instructions.RunCommand:
			t.Errorf("the final stage runs %v: it must only copy the binary", c.CmdLine)
		}
	}
	if user == "" || strings.HasPrefix(user, "root") || strings.HasPrefix(user, "0") {
		t.Errorf("final USER %q, want a non-root user", user)
	}
	if !entrypoint {
		t.Error("no ENTRYPOINT in the final stage")
	}
}
