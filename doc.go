// Package keyway is the domain of the Keyway API-key service: its objects,
// their validation, the errors every layer speaks, and the interfaces that
// the implementations (sqlstore, httpapi, …) provide or consume. It imports
// no database and no HTTP.
package keyway
