package app

import (
	"cmp"
	"slices"
)

func sortStreams(s []Stream) {
	slices.SortFunc(s, func(a, b Stream) int {
		return cmp.Or(cmp.Compare(a.ID, b.ID), cmp.Compare(a.Context, b.Context))
	})
}
