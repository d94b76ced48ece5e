package projector

import "testing"

func TestPredictor_PausesAfterAFailure(t *testing.T) {
	var p predictor
	for i := range 3 {
		if !p.use() {
			t.Fatalf("batch %d: a predictor that never failed does not predict", i)
		}
	}
	p.failed()
	for i := range predictPause {
		if p.use() {
			t.Fatalf("batch %d after a failure: predicts, want a pause of %d batches", i, predictPause)
		}
	}
	if !p.use() {
		t.Fatalf("does not predict again after %d batches", predictPause)
	}
}
