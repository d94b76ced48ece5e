package projector

// SetAfterCommit installs a hook that runs after a live batch commits and before its
// messages are acknowledged; an error stops the consumer (and Run) without acknowledging,
// as a crash at that point would.
func SetAfterCommit(r *Runtime, f func(projection string) error) { r.afterCommit = f }
