package keyway

// Page is limit/offset or cursor pagination shared by every list.
type Page struct {
	Limit  int
	Offset int
	// Cursor, when non-nil, switches to keyset pagination; "" is the first page.
	Cursor *string
}

const (
	DefaultPageLimit = 100
	MaxPageLimit     = 1000
)
