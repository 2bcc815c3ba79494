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

// Size is how many items the page holds at most: its limit, or the
// default when it names none, never more than MaxPageLimit.
func (p Page) Size() int {
	if p.Limit <= 0 {
		return DefaultPageLimit
	}
	return min(p.Limit, MaxPageLimit)
}
