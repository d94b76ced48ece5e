// Package adapters connects the operations use cases to PostgreSQL: the projector's registry
// and parking lot (through platform/projector's operator functions), the contexts' event
// stores (read-only, through es/postgres), and the audit read model.
package adapters
