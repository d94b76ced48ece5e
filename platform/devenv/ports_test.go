package devenv

import "testing"

// Ports never hands out a port twice, even when none of them is bound yet.
func TestPorts_NeverTheSamePortTwice(t *testing.T) {
	var p Ports
	seen := map[int]bool{}
	for range 500 {
		port, err := p.Free()
		if err != nil {
			t.Fatal(err)
		}
		if seen[port] {
			t.Fatalf("port %d handed out twice", port)
		}
		seen[port] = true
	}
}
