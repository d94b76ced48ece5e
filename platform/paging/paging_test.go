package paging

import (
	"errors"
	"testing"

	"github.com/storefront/storefront/platform/errs"
)

func TestRequest_Resolve(t *testing.T) {
	n := func(v int32) *int32 { return &v }
	tests := []struct {
		name   string
		req    Request
		want   Page
		offset int
		fields []string
	}{
		{"defaults", Request{}, Page{1, 24}, 0, nil},
		{"page 3 of 10", Request{n(3), n(10)}, Page{3, 10}, 20, nil},
		{"largest page", Request{nil, n(100)}, Page{1, 100}, 0, nil},
		{"page 0", Request{n(0), nil}, Page{0, 24}, -24, []string{"page"}},
		{"per_page 0", Request{nil, n(0)}, Page{1, 0}, 0, []string{"per_page"}},
		{"per_page 101 and page -1", Request{n(-1), n(101)}, Page{-1, 101}, -202, []string{"page", "per_page"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v errs.Validation
			got := tt.req.Resolve(&v)
			if tt.fields == nil {
				if err := v.Err(); err != nil || got != tt.want || got.Offset() != tt.offset {
					t.Fatalf("Resolve = %+v (offset %d), %v; want %+v (offset %d)", got, got.Offset(), err, tt.want, tt.offset)
				}
				return
			}
			if !errors.Is(v.Err(), errs.InvalidArgument) || len(v.Violations) != len(tt.fields) {
				t.Fatalf("violations %v, want fields %v", v.Violations, tt.fields)
			}
			for i, f := range tt.fields {
				if v.Violations[i].Field != f {
					t.Fatalf("violation %d on %q, want %q", i, v.Violations[i].Field, f)
				}
			}
		})
	}
}
